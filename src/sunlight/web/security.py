"""Web protection, applied once to every request (ASGI middleware), OWASP ASVS 5 L2:

- **Host**: the ``Host`` header must be one of ``SUNLIGHT_ALLOWED_HOSTS`` (comma-separated;
  default ``localhost, 127.0.0.1, ::1, testserver``): 400 otherwise (DNS rebinding).
- **Who is asking**: an ``Authorization: Bearer`` token (401 if unknown, expired or revoked),
  else the session cookie (a user once the second factor is done), else the public. The
  answer is kept in the request's state for :func:`sunlight.web.deps.current_principal`.
- **Cross-site requests**: every unsafe request (POST, PUT, PATCH, DELETE) that carries an
  ``Origin`` (or ``Referer``) must come from an allowed origin (403). A cookie-authenticated
  unsafe request must also carry one and present the session's CSRF token, in the
  ``X-CSRF-Token`` header or a ``csrf_token`` form field, compared in constant time (403).
  Bearer-token requests carry no ambient credential and need neither. Each such refusal
  is counted and recorded like any refusal that names no resource, under the permission
  ``csrf`` (``web/denials.py``): a signed-in sender's is an ``access.denied`` custody event
  (once a minute a route), an anonymous one's is only counted.
- **Headers** on every answer: a Content Security Policy without inline script and with
  ``frame-ancestors 'none'``, ``nosniff``, a Referrer-Policy, HSTS over HTTPS, and
  ``Cache-Control: no-store`` on everything but static files and public ledger documents.

HTTPS is known from the request's scheme (uvicorn with TLS, or a trusted proxy's
``X-Forwarded-Proto``) or ``SUNLIGHT_TLS=1``; cookies are then ``Secure`` and ``__Host-``.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
from jinja2 import Environment, pass_context
from markupsafe import Markup
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sunlight.access import sessions, tokens
from sunlight.access.decide import may_ever
from sunlight.access.permissions import Permission
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.errors import Unavailable
from sunlight.runtime import Runtime
from sunlight.web.denials import CSRF, declared_route, record_refusal

COOKIE = "sunlight_session"
SECURE_COOKIE = "__Host-sunlight_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1", "testserver")
MAX_FORM_BYTES = 32 * 1024 * 1024
STATE_KEY = "sunlight_auth"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # style attributes; no script runs from them
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=63072000; includeSubDomains"
log = logging.getLogger(__name__)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class WebSecurity:
    """The configured hosts and origins; built from the environment at start-up."""

    allowed_hosts: frozenset[str] = frozenset(DEFAULT_HOSTS)
    #: extra origins allowed to post (scheme://host[:port]); the request's own always is
    extra_origins: frozenset[str] = frozenset()
    tls: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WebSecurity:
        env = os.environ if env is None else env
        hosts = [h.strip().lower() for h in env.get("SUNLIGHT_ALLOWED_HOSTS", "").split(",")]
        origins = [o.strip().lower() for o in env.get("SUNLIGHT_ALLOWED_ORIGINS", "").split(",")]
        return cls(
            allowed_hosts=frozenset(h for h in hosts if h) or frozenset(DEFAULT_HOSTS),
            extra_origins=frozenset(o.rstrip("/") for o in origins if o),
            tls=_truthy(env.get("SUNLIGHT_TLS")),
        )

    def host_allowed(self, host_header: str) -> bool:
        host = hostname(host_header)
        return host is not None and ("*" in self.allowed_hosts or host in self.allowed_hosts)


def hostname(host_header: str) -> str | None:
    value = host_header.strip().lower()
    if not value:
        return None
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else None
    if value.count(":") > 1:  # a bare IPv6 address
        return value
    return value.split(":", 1)[0]


@dataclass
class AuthState:
    """Who is asking, resolved once per request by the middleware."""

    principal: Principal = field(default_factory=Principal.public)
    #: the cookie's session (signed in, or with its second factor pending)
    session_id: int | None = None
    user_id: int | None = None
    csrf_token: str | None = None
    #: "mfa" or "enrol" while the second factor is pending; "done" when signed in
    stage: str | None = None
    #: why the cookie's session ended, if it just did ("idle", "absolute", ...)
    ended: str | None = None
    https: bool = False


def auth_state(request: Request) -> AuthState:
    state = request.scope.get("state", {}).get(STATE_KEY)
    return state if isinstance(state, AuthState) else AuthState()


def is_https(scope: Scope, config: WebSecurity) -> bool:
    return config.tls or scope.get("scheme") in ("https", "wss")


def cookie_name(https: bool) -> str:
    return SECURE_COOKIE if https else COOKIE


def set_session_cookie(response: Any, raw: str, *, https: bool) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure and ``__Host-`` over HTTPS; a
    browser-session cookie (the server enforces the idle and absolute limits)."""
    response.set_cookie(
        cookie_name(https), raw, httponly=True, samesite="strict", secure=https, path="/"
    )


def clear_session_cookie(response: Any, *, https: bool) -> None:
    response.delete_cookie(
        cookie_name(https), httponly=True, samesite="strict", secure=https, path="/"
    )


Clock = Callable[[], datetime]


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, *, runtime: Runtime, config: WebSecurity | None = None):
        self.app = app
        self.runtime = runtime
        self.config = config or WebSecurity.from_env()

    def _now(self, scope: Scope) -> datetime:
        clock: Clock | None = getattr(scope.get("app"), "state", None) and getattr(
            scope["app"].state, "clock", None
        )
        return clock() if clock is not None else utcnow()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        config: WebSecurity = getattr(scope["app"].state, "web_security", None) or self.config
        headers = Headers(scope=scope)
        https = is_https(scope, config)
        send = self._with_headers(scope, send, https)
        if not config.host_allowed(headers.get("host", "")):
            await _refuse(send, 400, "this host name is not served here (SUNLIGHT_ALLOWED_HOSTS)")
            return
        method = scope["method"]
        now = self._now(scope)
        origin = headers.get("origin") or _origin_of(headers.get("referer"))
        if (
            method in UNSAFE
            and origin is not None
            and not _origin_allowed(origin, scope, headers, config)
        ):
            why = "cross-site request refused: the Origin is not allowed"
            await self._cross_site(send, scope, None, headers, https, now, why)
            return

        state = AuthState(https=https)
        authorization = headers.get("authorization", "")
        if authorization:
            credential = _bearer(authorization)
            if credential is None:
                await _refuse(send, 401, "use Authorization: Bearer TOKEN", bearer=True)
                return
            principal = await anyio.to_thread.run_sync(self._token, credential, now)
            if principal is None:
                await _refuse(send, 401, "unknown, expired or revoked API token", bearer=True)
                return
            state.principal = principal
        else:
            raw = _session_cookie(headers, https)
            if raw:
                state = await anyio.to_thread.run_sync(self._session, raw, now, https)
            if method in UNSAFE and state.session_id is not None:
                if origin is None:
                    why = "cross-site request refused: no Origin or Referer"
                    await self._cross_site(send, scope, state.principal, headers, https, now, why)
                    return
                presented = headers.get(CSRF_HEADER)
                if presented is None:
                    presented, receive = await _form_token(scope, receive, headers)
                if not _csrf_ok(state.csrf_token, presented):
                    why = "missing or wrong CSRF token; reload the page"
                    await self._cross_site(send, scope, state.principal, headers, https, now, why)
                    return
        scope.setdefault("state", {})[STATE_KEY] = state
        await self.app(scope, receive, send)

    async def _cross_site(
        self,
        send: Send,
        scope: Scope,
        principal: Principal | None,
        headers: Headers,
        https: bool,
        now: datetime,
        why: str,
    ) -> None:
        """Refuse a cross-site or CSRF-failing request (403), counted and recorded like
        any refusal that names no resource, under the permission ``csrf``
        (``web/denials.py``): a signed-in sender's is an ``access.denied`` custody event
        (once a minute a route), an anonymous one's only counted. ``principal`` None: not
        resolved yet (the Origin is checked first); it is read here without a write."""
        routes = getattr(getattr(scope.get("app"), "router", None), "routes", [])
        route = declared_route(routes, scope)
        await anyio.to_thread.run_sync(
            self._note_cross_site, principal, headers, https, now, route, why
        )
        await _refuse(send, 403, why)

    def _note_cross_site(
        self,
        principal: Principal | None,
        headers: Headers,
        https: bool,
        now: datetime,
        route: str,
        why: str,
    ) -> None:
        if principal is None:
            try:
                principal = self._who(headers, https, now)
            except Exception:  # recording never changes the answer
                log.warning("could not tell who sent a cross-site request", exc_info=True)
                principal = Principal.public()
        record_refusal(self.runtime, principal, CSRF, route, why, now)

    def _who(self, headers: Headers, https: bool, now: datetime) -> Principal:
        """Who a request says it is, read only (no session touched, no token's use kept):
        a bearer token's principal, a signed-in session's user, else the public."""
        with self.runtime.db.session(read_only=True) as session:
            authorization = headers.get("authorization", "")
            if authorization:
                credential = _bearer(authorization)
                found_token = None
                if credential is not None:
                    found_token = tokens.authenticate(session, credential, now, touch=False)
                return found_token or Principal.public()
            raw = _session_cookie(headers, https)
            found = sessions.resolve(session, raw, now=now, touch=False) if raw else None
            if isinstance(found, sessions.Resolved) and found.signed_in:
                return sessions.principal_for(found.user, found.auth_session)
        return Principal.public()

    def _token(self, raw: str, now: datetime) -> Principal | None:
        with self.runtime.db.session(read_only=True) as session:
            principal = tokens.authenticate(session, raw, now, touch=False)
            if principal is None or not tokens.needs_touch(session, raw, now):
                return principal
        try:  # best effort: a busy database does not refuse a valid token
            with self.runtime.db.session() as session:
                return tokens.authenticate(session, raw, now)
        except Unavailable:
            return principal

    def _session(self, raw: str, now: datetime, https: bool) -> AuthState:
        # A read first: most requests need no write (the touch is throttled).
        with self.runtime.db.session(read_only=True) as session:
            found = sessions.resolve(session, raw, now=now, touch=False)
            if found is None or found == "ended":
                return AuthState(https=https, ended=found)
            if isinstance(found, sessions.Resolved):
                state = _state_for(found, https)
                if now - found.auth_session.last_seen_at < sessions.TOUCH_EVERY:
                    return state
            else:
                state = AuthState(https=https, ended=found)
        try:  # touch last_seen_at, or end a session that just ran out
            with self.runtime.db.session() as session:
                found = sessions.resolve(session, raw, now=now, touch=True)
                if isinstance(found, sessions.Resolved):
                    return _state_for(found, https)
                return AuthState(https=https, ended=found)
        except Unavailable:
            return state  # the database is busy: the read's answer stands; touch next time

    def _with_headers(self, scope: Scope, send: Send, https: bool) -> Send:
        path: str = scope.get("path", "")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                cache = headers.get("cache-control", "")
                if not path.startswith("/static/") and (not cache or "private" in cache):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        return wrapped


def _state_for(found: sessions.Resolved, https: bool) -> AuthState:
    return AuthState(
        principal=(
            sessions.principal_for(found.user, found.auth_session)
            if found.signed_in
            else Principal.public()
        ),
        session_id=found.auth_session.id,
        user_id=found.user.id,
        csrf_token=found.auth_session.csrf_token,
        stage=found.stage,
        https=https,
    )


def _csrf_ok(expected: str | None, presented: str | None) -> bool:
    import hmac

    if not expected or not presented:
        return False
    return hmac.compare_digest(expected.encode(), presented.encode())


def _origin_of(referer: str | None) -> str | None:
    if not referer:
        return None
    parts = urlsplit(referer)
    if not parts.scheme or not parts.netloc:
        return "null"
    return f"{parts.scheme}://{parts.netloc}"


def _origin_allowed(origin: str, scope: Scope, headers: Headers, config: WebSecurity) -> bool:
    origin = origin.strip().lower().rstrip("/")
    if origin in config.extra_origins:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    own_scheme = "https" if is_https(scope, config) else str(scope.get("scheme", "http"))
    host = headers.get("host", "").lower()
    # The page and the request come from the same site: same scheme and host:port, and
    # that host is one we serve.
    return (
        parts.netloc == host
        and (parts.scheme == own_scheme or config.tls)
        and config.host_allowed(parts.netloc)
    )


def _bearer(authorization: str) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header; None for anything else."""
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def _session_cookie(headers: Headers, https: bool) -> str | None:
    """The session cookie's value: the ``__Host-`` one over HTTPS, else the plain one."""
    return _cookie(headers, cookie_name(https)) or _cookie(headers, COOKIE)


def _cookie(headers: Headers, name: str) -> str | None:
    for header in headers.getlist("cookie"):
        for part in header.split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value.strip() or None
    return None


async def _form_token(
    scope: Scope, receive: Receive, headers: Headers
) -> tuple[str | None, Receive]:
    """Read ``csrf_token`` from a form body, then hand the same body on to the route."""
    kind = headers.get("content-type", "").lower()
    if not (
        kind.startswith("application/x-www-form-urlencoded")
        or kind.startswith("multipart/form-data")
    ):
        return None, receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, receive
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None, receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    token: str | None = None
    if kind.startswith("application/x-www-form-urlencoded"):
        values = parse_qs(body.decode("latin-1"), keep_blank_values=True).get(CSRF_FIELD)
        token = values[0] if values else None
    else:
        token = await _multipart_token(scope, body)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return token, replay


async def _multipart_token(scope: Scope, body: bytes) -> str | None:
    delivered = False

    async def once() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    request = Request(dict(scope), once)
    try:
        form = await request.form()
    except Exception:
        return None
    try:
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def _refuse(send: Send, status: int, detail: str, *, bearer: bool = False) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if bearer:
        headers.append((b"www-authenticate", b'Bearer realm="sunlight"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _request_of(context: Any) -> Request | None:
    request = context.get("request")
    return request if isinstance(request, Request) else None


@pass_context
def _csrf_token(context: Any) -> str:
    request = _request_of(context)
    return (auth_state(request).csrf_token or "") if request is not None else ""


@pass_context
def _csrf_field(context: Any) -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(_csrf_token(context))


@pass_context
def _principal(context: Any) -> Principal:
    request = _request_of(context)
    return auth_state(request).principal if request is not None else Principal.public()


@pass_context
def _may(context: Any, permission: str) -> bool:
    """Whether some rule ever grants ``permission`` to whoever is asking (menus show only
    what the principal can use; every route still checks for itself)."""
    return may_ever(_principal(context), Permission(permission))


def install_template_globals(env: Environment) -> None:
    """``{{ csrf_field() }}`` in every form that posts, ``{{ csrf_token() }}`` for the meta
    tag scripts read, ``principal()`` for who is signed in."""
    env.globals["csrf_field"] = _csrf_field
    env.globals["csrf_token"] = _csrf_token
    env.globals["principal"] = _principal
    env.globals["may"] = _may


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def serve_refusal(
    host: str,
    *,
    certfile: str | None,
    keyfile: str | None,
    trusted_proxy: str | None,
) -> str | None:
    """Why ``sunlight serve`` must not start on ``host`` (None: it may). Off the loopback
    address, passwords and session cookies would cross the network in clear text unless
    Sunlight speaks TLS itself or sits behind a TLS-terminating proxy it trusts."""
    if is_loopback(host):
        return None
    if certfile and keyfile:
        return None
    if certfile or keyfile:
        return "give both --ssl-certfile and --ssl-keyfile to serve over TLS."
    if trusted_proxy:
        return None
    return (
        f"refusing to serve on {host}: off the loopback address, sign-in passwords and "
        "session cookies would cross the network unencrypted.\n"
        "Either serve over TLS:\n"
        f"  sunlight serve --host {host} --ssl-certfile cert.pem --ssl-keyfile key.pem\n"
        "or put a TLS-terminating reverse proxy in front and name it:\n"
        f"  sunlight serve --host {host} --forwarded-allow-ips PROXY_IP\n"
        "  (or SUNLIGHT_TRUSTED_PROXY=PROXY_IP; the proxy must send X-Forwarded-Proto: https)\n"
        "Also list the site's host names in SUNLIGHT_ALLOWED_HOSTS (comma-separated)."
    )

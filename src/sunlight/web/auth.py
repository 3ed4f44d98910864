"""Sign-in pages: password, then the second factor (authenticator code, recovery code or
passkey); enrolment for a staff account without one; re-authentication before privileged
actions; the account page (second factors, password, recovery codes); sign-out.

These routes are public by design (they are how one becomes a principal); each checks the
session it acts on itself. Passkey ceremonies run in ``/static/passkeys.js``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sunlight.access import sessions, totp, users
from sunlight.access import webauthn as passkeys
from sunlight.access.models import AuthSession, User
from sunlight.access.sessions import MfaMethod
from sunlight.errors import InvalidInput
from sunlight.runtime import Runtime
from sunlight.web.deps import now_for
from sunlight.web.guard import public
from sunlight.web.pages import render
from sunlight.web.security import (
    AuthState,
    auth_state,
    clear_session_cookie,
    hostname,
    set_session_cookie,
)

#: Declared public in the route table (tests/access/routes.txt); each route checks its session.
router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])
FormStr = Annotated[str, Form(max_length=1000)]
NextField = Annotated[str, Form(max_length=2000)]


def safe_next(value: str | None) -> str:
    """Only a path on this site (no ``//host`` or scheme): no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/recordings"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/recordings"
    return value


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _rp(request: Request) -> tuple[str, str]:
    """The relying party id (the host name the browser used, which the security middleware
    has checked against the allowed hosts) and the page's origin."""
    host = request.headers.get("host", "localhost")
    scheme = "https" if auth_state(request).https else request.url.scheme
    return hostname(host) or "localhost", f"{scheme}://{host}"


def _load(session: Session, state: AuthState) -> tuple[AuthSession, User] | None:
    if state.session_id is None:
        return None
    auth_session = session.get(AuthSession, state.session_id)
    if auth_session is None or auth_session.ended_at is not None:
        return None
    return auth_session, auth_session.user


def _redirect(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


def _with_cookie(response: Response, request: Request, raw: str | None) -> Response:
    if raw:
        set_session_cookie(response, raw, https=auth_state(request).https)
    return response


# ---- password ---------------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> Response:
    state = auth_state(request)
    target = safe_next(next)
    if state.principal.is_authenticated:
        return _redirect(target)
    if state.stage == "enrol":
        return _redirect(f"/account/enrol?next={quote(target, safe='/')}")
    if state.stage == "mfa":
        with _runtime(request).db.session(read_only=True) as session:
            loaded = _load(session, state)
            has_passkey = bool(loaded and passkeys.credentials_of(session, loaded[1]))
            has_totp = bool(loaded and totp.is_enrolled(session, loaded[1]))
        return render(
            request,
            "sign_in_factor.html",
            next=target,
            has_passkey=has_passkey,
            has_totp=has_totp,
            error=None,
        )
    notice = None
    if state.ended in ("idle", "absolute"):
        notice = "Your session has ended. Sign in again to continue."
    return render(request, "sign_in.html", next=target, error=None, notice=notice)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    next: NextField = "/recordings",
) -> Response:
    target = safe_next(next)
    now = now_for(request)
    with _runtime(request).db.session() as session:
        result = sessions.sign_in_password(
            session,
            username=username,
            password=password,
            now=now,
            user_agent=request.headers.get("user-agent"),
        )
    if not result.ok:
        return render(
            request, "sign_in.html", status_code=401, next=target, error=result.message, notice=None
        )
    if result.stage == "done":
        location = target
    elif result.stage == "enrol":
        location = f"/account/enrol?next={quote(target, safe='/')}"
    else:
        location = f"/sign-in?next={quote(target, safe='/')}"
    return _with_cookie(_redirect(location), request, result.raw_token)


# ---- second factor ----------------------------------------------------------------------


def _second_factor(request: Request, check: Any, method: MfaMethod, next: str) -> Response:
    """Run ``check(session, user, now) -> bool`` for the pending session; sign in on success."""
    state = auth_state(request)
    target = safe_next(next)
    now = now_for(request)
    if state.stage != "mfa":
        return _redirect(f"/sign-in?next={quote(target, safe='/')}")
    raw: str | None = None
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect(f"/sign-in?next={quote(target, safe='/')}")
        auth_session, user = loaded
        ok = not sessions.is_locked(user, now) and bool(check(session, user, now))
        if ok:
            raw = sessions.complete(session, auth_session, method=method, now=now)
        else:
            if sessions.count_failure(session, user, now, why=f"wrong {method}", step=method):
                auth_session.ended_at = now
                auth_session.end_reason = "locked"
    if raw is None:
        return render(
            request,
            "sign_in_factor.html",
            status_code=401,
            next=target,
            has_passkey=True,
            has_totp=True,
            error="That code did not work. Codes work once; wait for the next one.",
        )
    return _with_cookie(_redirect(target), request, raw)


@router.post("/sign-in/totp", response_class=HTMLResponse)
def sign_in_totp(
    request: Request, code: Annotated[str, Form(max_length=20)], next: NextField = "/recordings"
) -> Response:
    return _second_factor(request, lambda s, u, now: totp.verify(s, u, code, now=now), "totp", next)


@router.post("/sign-in/recovery", response_class=HTMLResponse)
def sign_in_recovery(
    request: Request, code: Annotated[str, Form(max_length=40)], next: NextField = "/recordings"
) -> Response:
    return _second_factor(
        request,
        lambda s, u, now: totp.use_recovery_code(s, u, code, now=now),
        "recovery-code",
        next,
    )


@router.post("/sign-in/passkey/options")
def sign_in_passkey_options(request: Request) -> Response:
    state = auth_state(request)
    if state.stage != "mfa":
        return JSONResponse({"detail": "sign in with your password first"}, status_code=401)
    rp_id, _ = _rp(request)
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return JSONResponse({"detail": "sign in with your password first"}, status_code=401)
        options = passkeys.authentication_options(session, loaded[0], loaded[1], rp_id=rp_id)
    return Response(options, media_type="application/json")


@router.post("/sign-in/passkey")
async def sign_in_passkey(request: Request, next: str | None = None) -> Response:
    credential = await _json_body(request)
    rp_id, origin = _rp(request)
    holder: dict[str, AuthSession] = {}

    def check(session: Session, user: User, now: datetime) -> bool:
        auth_session = session.get(AuthSession, auth_state(request).session_id)
        assert auth_session is not None
        holder["s"] = auth_session
        return passkeys.finish_authentication(
            session, auth_session, user, credential, rp_id=rp_id, origin=origin, now=now
        )

    from starlette.concurrency import run_in_threadpool

    response = await run_in_threadpool(_second_factor, request, check, "passkey", next or "")
    if isinstance(response, RedirectResponse):
        location = response.headers["location"]
        answer = JSONResponse({"next": location})
        for value in response.headers.getlist("set-cookie"):
            answer.headers.append("set-cookie", value)
        return answer
    return JSONResponse({"detail": "that passkey did not verify"}, status_code=401)


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise InvalidInput("expected a JSON body") from None
    if not isinstance(body, dict):
        raise InvalidInput("expected a JSON object")
    return body


# ---- enrolment and the account page -----------------------------------------------------


def _account_session(request: Request, *, fresh: bool) -> AuthState | None:
    """The session that may change second factors: one enrolling its first factor, or a
    signed-in one that re-authenticated within the policy window (``fresh``)."""
    state = auth_state(request)
    if state.session_id is None:
        return None
    if state.stage == "enrol":
        return state
    if not state.principal.is_authenticated:
        return None
    if fresh and not sessions.reauth_fresh(state.principal, now_for(request)):
        return None
    return state


@router.get("/account/enrol", response_class=HTMLResponse)
def enrol_page(request: Request, next: str | None = None) -> Response:
    target = safe_next(next)
    state = _account_session(request, fresh=True)
    if state is None:
        return _redirect(
            "/reauth?next=/account/enrol"
            if auth_state(request).principal.is_authenticated
            else f"/sign-in?next={quote(target, safe='/')}"
        )
    now = now_for(request)
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect("/sign-in")
        user = loaded[1]
        credential = totp.begin_enrolment(session, user, now=now)
        uri = totp.provisioning_uri(credential.secret, user)
        secret = credential.secret
    return render(
        request,
        "account_enrol.html",
        next=target,
        qr=totp.qr_svg(uri),
        secret=secret,
        first=state.stage == "enrol",
        error=None,
    )


@router.post("/account/totp", response_class=HTMLResponse)
def enrol_totp(
    request: Request, code: Annotated[str, Form(max_length=20)], next: NextField = "/recordings"
) -> Response:
    target = safe_next(next)
    state = _account_session(request, fresh=True)
    if state is None:
        return _redirect("/sign-in")
    now = now_for(request)
    raw: str | None = None
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect("/sign-in")
        auth_session, user = loaded
        codes = totp.confirm_enrolment(session, user, code, actor=f"user:{user.id}", now=now)
        if codes is not None and state.stage == "enrol":
            raw = sessions.complete(session, auth_session, method="totp", now=now)
    if codes is None:
        return render(
            request,
            "account_enrol.html",
            status_code=422,
            next=target,
            qr=None,
            secret=None,
            first=state.stage == "enrol",
            error="That code did not match; scan the code again and enter the current one.",
        )
    response = render(request, "account_codes.html", codes=codes, next=target)
    return _with_cookie(response, request, raw)


@router.post("/account/passkeys/options")
def passkey_options(request: Request) -> Response:
    state = _account_session(request, fresh=True)
    if state is None:
        return JSONResponse({"detail": "confirm who you are first", "reauth": "/reauth"}, 401)
    rp_id, _ = _rp(request)
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return JSONResponse({"detail": "sign in first"}, status_code=401)
        options = passkeys.registration_options(session, loaded[0], loaded[1], rp_id=rp_id)
    return Response(options, media_type="application/json")


@router.post("/account/passkeys")
async def passkey_register(request: Request, next: str | None = None) -> Response:
    body = await _json_body(request)
    credential = body.get("credential")
    name = str(body.get("name") or "Passkey")
    if not isinstance(credential, dict):
        raise InvalidInput("expected {credential, name}")
    rp_id, origin = _rp(request)

    def work() -> Response:
        state = _account_session(request, fresh=True)
        if state is None:
            return JSONResponse({"detail": "confirm who you are first"}, status_code=401)
        now = now_for(request)
        raw: str | None = None
        with _runtime(request).db.session() as session:
            loaded = _load(session, state)
            if loaded is None:
                return JSONResponse({"detail": "sign in first"}, status_code=401)
            auth_session, user = loaded
            key = passkeys.finish_registration(
                session,
                auth_session,
                user,
                credential,
                rp_id=rp_id,
                origin=origin,
                name=name,
                actor=f"user:{user.id}",
                now=now,
            )
            if key is not None and state.stage == "enrol":
                raw = sessions.complete(session, auth_session, method="passkey", now=now)
        if key is None:
            return JSONResponse({"detail": "that passkey did not verify"}, status_code=422)
        answer = JSONResponse({"id": key.id, "next": safe_next(next)})
        return _with_cookie(answer, request, raw)

    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(work)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    state = auth_state(request)
    if not state.principal.is_authenticated or state.session_id is None:
        return _redirect("/sign-in?next=/account")
    with _runtime(request).db.session(read_only=True) as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect("/sign-in?next=/account")
        user = loaded[1]
        keys = [
            (k.name, k.created_at, k.last_used_at) for k in passkeys.credentials_of(session, user)
        ]
        has_totp = totp.is_enrolled(session, user)
        codes_left = totp.recovery_codes_left(session, user)
        roles = sorted(user.role_names)
        agency = user.agency.name
    return render(
        request,
        "account.html",
        keys=keys,
        has_totp=has_totp,
        codes_left=codes_left,
        roles=roles,
        agency=agency,
        error=None,
        message=request.query_params.get("done"),
    )


@router.post("/account/password", response_class=HTMLResponse)
def change_password(request: Request, password: Annotated[str, Form(max_length=1000)]) -> Response:
    state = _account_session(request, fresh=True)
    if state is None or state.stage == "enrol":
        return _redirect("/reauth?next=/account")
    now = now_for(request)
    try:
        with _runtime(request).db.session() as session:
            loaded = _load(session, state)
            if loaded is None:
                return _redirect("/sign-in")
            users.set_password(
                session,
                loaded[1],
                password,
                actor=state.principal,
                now=now,
                keep_session_id=loaded[0].id,
            )
    except InvalidInput as exc:
        return _redirect(f"/account?done={exc.message}")
    return _redirect("/account?done=Password changed; your other sessions were signed out.")


@router.post("/account/recovery-codes", response_class=HTMLResponse)
def regenerate_codes(request: Request) -> Response:
    state = _account_session(request, fresh=True)
    if state is None or state.stage == "enrol":
        return _redirect("/reauth?next=/account")
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect("/sign-in")
        codes = totp.new_recovery_codes(
            session, loaded[1], actor=state.principal, now=now_for(request)
        )
    return render(request, "account_codes.html", codes=codes, next="/account")


# ---- re-authentication and sign-out -----------------------------------------------------


@router.get("/reauth", response_class=HTMLResponse)
def reauth_page(request: Request, next: str | None = None) -> Response:
    if not auth_state(request).principal.is_authenticated:
        return _redirect(f"/sign-in?next={safe_next(next)}")
    return render(request, "reauth.html", next=safe_next(next), error=None)


@router.post("/reauth", response_class=HTMLResponse)
def reauth(
    request: Request,
    password: Annotated[str, Form(max_length=1000)],
    next: NextField = "/recordings",
) -> Response:
    state = auth_state(request)
    target = safe_next(next)
    if not state.principal.is_authenticated or state.session_id is None:
        return _redirect(f"/sign-in?next={quote(target, safe='/')}")
    now = now_for(request)
    with _runtime(request).db.session() as session:
        loaded = _load(session, state)
        if loaded is None:
            return _redirect(f"/sign-in?next={quote(target, safe='/')}")
        ok = sessions.reauthenticate(
            session, sessions.Resolved(loaded[0], loaded[1]), password, now=now
        )
    if not ok:
        return render(
            request, "reauth.html", status_code=401, next=target, error="That password is wrong."
        )
    return _redirect(target)


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    state = auth_state(request)
    if state.session_id is not None:
        with _runtime(request).db.session() as session:
            loaded = _load(session, state)
            if loaded is not None:
                sessions.sign_out(session, loaded[0], now=now_for(request))
    response = _redirect("/sign-in")
    clear_session_cookie(response, https=state.https)
    return response

"""Request dependencies. Every staff page and API call goes through ``require``.

``current_principal`` is who the security middleware (``web/security.py``) found: an API
token's principal, a signed-in user (second factor done), or the public. ``require(P)`` is
the coarse gate (``may_ever``); the resource check follows in the route's loader
(``web/guard.py``). An anonymous caller is asked to sign in (401 for the API, a redirect to
``/sign-in?next=...`` for pages); a permission marked ``step_up`` asks a session user who
has not re-authenticated within ``policy.session.reauth_minutes`` to do so first.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request

from sunlight.access import INFO, Permission, Principal, may_ever
from sunlight.access.decide import ignored_role_refusal
from sunlight.access.sessions import reauth_fresh
from sunlight.db.base import utcnow
from sunlight.runtime import Runtime
from sunlight.web.denials import record_refusal
from sunlight.web.security import auth_state


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# The running system, for route signatures: ``runtime: RuntimeDep``.
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


class AuthenticationRequired(Exception):
    """Sign in (``reauth`` False) or prove who you are again (``reauth`` True) first.
    ``web/app.py`` answers 401 JSON for the API and a redirect for pages."""

    def __init__(self, detail: str, location: str, *, reauth: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.location = location
        self.reauth = reauth


def now_for(request: Request) -> datetime:
    clock = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else utcnow()


def current_principal(request: Request) -> Principal:
    return auth_state(request).principal


def next_path(request: Request) -> str:
    """Where to come back to: this page, or for a form post the page it was posted from."""
    path = request.url.path
    if request.method == "GET":
        if request.url.query:
            path += "?" + request.url.query
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc == request.headers.get("host") and referer.path.startswith("/"):
            path = referer.path + (f"?{referer.query}" if referer.query else "")
    return quote(path, safe="/")


def wants_page(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and not (
        request.url.path.startswith("/api/")
    )


def route_of(request: Request) -> str:
    """The route a request matched, as declared (``GET /api/requests/{request_id}``): a
    tally key that a caller cannot multiply by varying ids or query strings."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return f"{request.method} {path}"


def refused(request: Request, principal: Principal, permission: Permission, why: str) -> None:
    """Record a refusal that names no resource through the one door for it
    (``web/denials.py``): counted for everyone, a custody event once a minute for a
    signed-in actor, an anonymous caller's counted in memory and written once a minute a
    route. Recording never changes the answer."""
    record_refusal(
        get_runtime(request), principal, str(permission), route_of(request), why, now_for(request)
    )


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that admits the request only if its principal may ever hold
    ``permission`` (and, for a step-up permission, has re-authenticated recently). The
    principal comes through ``Depends(current_principal)``, so tests may override it."""

    def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> Principal:
        if not principal.is_authenticated:
            state = auth_state(request)
            detail = "sign in first"
            if state.ended in ("idle", "absolute"):
                detail = "your session has ended; sign in again"
            elif state.stage == "enrol":
                detail = "set up a second factor first"
            elif state.stage == "mfa":
                detail = "finish signing in with your second factor"
            refused(request, principal, permission, detail)
            raise AuthenticationRequired(detail, f"/sign-in?next={next_path(request)}")
        if not may_ever(principal, permission):
            # a role its agency may not hold grants nothing: the refusal (and its record) says so
            detail = ignored_role_refusal(principal, permission) or (
                f"requires permission {permission}"
            )
            refused(request, principal, permission, detail)
            raise HTTPException(status_code=403, detail=detail)
        if INFO[permission].step_up and not reauth_fresh(principal, now_for(request)):
            raise AuthenticationRequired(
                f"{permission} needs you to confirm who you are again",
                f"/reauth?next={next_path(request)}",
                reauth=True,
            )
        request.state.actor = principal
        return principal

    dependency.__name__ = f"require_{permission.name.lower()}"
    dependency.permission = permission  # type: ignore[attr-defined]  # read by the route table
    return dependency


def signed_in(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """Any signed-in principal (account pages); no permission needed."""
    if not principal.is_authenticated:
        raise AuthenticationRequired("sign in first", f"/sign-in?next={next_path(request)}")
    return principal

"""Administration pages: people and their roles, agencies and units, API tokens.

Thin over the services (``sunlight.access.users``, ``.agencies``, ``.tokens``), which record
every change as a custody event under the signed-in administrator's principal. Reading needs
``user:view`` / ``agency:view``; changing needs ``user:manage`` / ``agency:manage`` /
``token:manage``, which ask for a fresh re-authentication (step-up).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal
from sunlight.access import agencies as agency_service
from sunlight.access import tokens as token_service
from sunlight.access import users as user_service
from sunlight.access.accounts import statuses
from sunlight.access.models import AGENCY_KINDS, User
from sunlight.access.permissions import DEFAULT_TOKEN_PERMISSIONS
from sunlight.access.policy import load_access_policy
from sunlight.errors import Conflict, InvalidInput, NotFound
from sunlight.validation import MAX_ID, SmallId
from sunlight.web.deps import RuntimeDep, now_for, require
from sunlight.web.pages import render

router = APIRouter(include_in_schema=False)

_USER_VIEW = Depends(require(Permission.USER_VIEW))
_USER_MANAGE = Depends(require(Permission.USER_MANAGE))


def _user(session: Session, user_id: int) -> User:
    if not 1 <= user_id <= MAX_ID:
        raise NotFound(f"no user {user_id}")
    return user_service.get_user(session, user_id)


def _roles() -> list[tuple[str, str]]:
    policy = load_access_policy().policy
    return [(name, policy.roles[name].label) for name in user_service.assignable_roles(policy)]


def _users_page(
    request: Request,
    session: Session,
    *,
    agency: str | None = None,
    error: str | None = None,
    created: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    agency_id = agency_service.find_agency(session, agency).id if agency else None
    people = list(user_service.list_users(session, agency_id=agency_id))
    return render(
        request,
        "admin_users.html",
        status_code=status_code,
        users=people,
        status=statuses(session, people, now=now_for(request)),
        agencies=agency_service.list_agencies(session),
        units=agency_service.list_units(session),
        roles=_roles(),
        agency=agency or "",
        error=error,
        created=created,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_VIEW],
    agency: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return _users_page(request, session, agency=agency)


@router.post("/admin/users", response_class=HTMLResponse)
def create_user_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=200)],
    agency_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    role: Annotated[list[str], Form()],
    unit: Annotated[str, Form(max_length=100)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
) -> HTMLResponse:
    """Create an account; its initial password is shown on this page once."""
    from secrets import token_urlsafe

    password = token_urlsafe(15)
    try:
        with runtime.db.session() as session:
            user = user_service.create_user(
                session,
                username=username,
                display_name=display_name,
                agency_id=agency_id,
                roles=role,
                password=password,
                unit=unit.strip() or None,
                email=email.strip() or None,
                actor=actor,
                now=now_for(request),
            )
            created = {"id": user.id, "username": user.username, "password": password}
    except (InvalidInput, NotFound) as exc:
        with runtime.db.session(read_only=True) as session:
            return _users_page(request, session, error=exc.message, status_code=422)
    with runtime.db.session(read_only=True) as session:
        return _users_page(request, session, created=created)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
def user_page(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_VIEW],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        user = _user(session, user_id)
        policy = load_access_policy().policy
        return render(
            request,
            "admin_user.html",
            user=user,
            status=statuses(session, [user], now=now_for(request))[user.id],
            roles=_roles(),
            held_in={name: ", ".join(policy.roles[name].agency_kinds) for name, _ in _roles()},
            misplaced=policy.roles_not_allowed(user.role_names, user.agency.kind),
            agencies=agency_service.list_agencies(session),
            is_self=actor.user_id == user.id,
        )


def _back(user_id: int) -> RedirectResponse:
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/roles")
def roles_form(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    role: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Replace the user's roles (the custody event records the access policy's hash)."""
    wanted = sorted(set(role or []))
    if not wanted:
        raise InvalidInput("a user keeps at least one role; to stop someone, disable them")
    with runtime.db.session() as session:
        user = _user(session, user_id)
        if actor.user_id == user.id and "administrator" not in wanted:
            raise Conflict("you cannot remove your own administrator role")
        user_service.set_roles(session, user, wanted, actor=actor, now=now_for(request))
    return _back(user_id)


@router.post("/admin/users/{user_id}/agency")
def move_form(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    agency_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    role: Annotated[list[str] | None, Form()] = None,
    unit: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Move the user to another agency, with the roles they hold there (none ticked: the
    roles they hold now); refused, changing nothing, if that agency's kind may not hold one."""
    wanted = sorted(set(role)) if role else None
    with runtime.db.session() as session:
        user = _user(session, user_id)
        if actor.user_id == user.id:
            raise Conflict("you cannot move your own account to another agency")
        agency = agency_service.find_agency(session, agency_id)
        user_service.move_user(
            session, user, agency, roles=wanted, unit=unit, actor=actor, now=now_for(request)
        )
    return _back(user_id)


@router.post("/admin/users/{user_id}/disable")
def disable_form(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        user = _user(session, user_id)
        if actor.user_id == user.id:
            raise Conflict("you cannot disable your own account")
        user_service.disable_user(
            session, user, actor=actor, reason=reason.strip() or None, now=now_for(request)
        )
    return _back(user_id)


@router.post("/admin/users/{user_id}/enable")
def enable_form(
    user_id: int,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
) -> Response:
    with runtime.db.session() as session:
        user_service.enable_user(
            session, _user(session, user_id), actor=actor, now=now_for(request)
        )
    return _back(user_id)


@router.post("/admin/users/{user_id}/unlock")
def unlock_form(
    user_id: int,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
) -> Response:
    with runtime.db.session() as session:
        user_service.unlock_user(
            session, _user(session, user_id), actor=actor, now=now_for(request)
        )
    return _back(user_id)


@router.post("/admin/users/{user_id}/reset-mfa")
def reset_mfa_form(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        user_service.reset_mfa(
            session,
            _user(session, user_id),
            actor=actor,
            reason=reason.strip() or None,
            now=now_for(request),
        )
    return _back(user_id)


@router.post("/admin/users/{user_id}/end-sessions")
def end_sessions_form(
    user_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, _USER_MANAGE],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    with runtime.db.session() as session:
        user_service.end_sessions(
            session,
            _user(session, user_id),
            actor=actor,
            reason=reason.strip() or "ended by an administrator",
            keep_session_id=actor.session_id,
            now=now_for(request),
        )
    return _back(user_id)


# -- agencies ---------------------------------------------------------------------------


def _agencies_page(
    request: Request, session: Session, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "admin_agencies.html",
        status_code=status_code,
        agencies=agency_service.list_agencies(session),
        units=agency_service.list_units(session),
        kinds=AGENCY_KINDS,
        error=error,
    )


@router.get("/admin/agencies", response_class=HTMLResponse)
def agencies_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AGENCY_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return _agencies_page(request, session)


@router.post("/admin/agencies", response_class=HTMLResponse)
def create_agency_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AGENCY_MANAGE))],
    name: Annotated[str, Form(max_length=200)],
    short_name: Annotated[str, Form(max_length=40)],
    kind: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        with runtime.db.session() as session:
            agency_service.create_agency(
                session,
                name=name,
                short_name=short_name,
                kind=kind,
                actor=actor.id,
                now=now_for(request),
            )
    except InvalidInput as exc:
        with runtime.db.session(read_only=True) as session:
            return _agencies_page(request, session, error=exc.message, status_code=422)
    return RedirectResponse("/admin/agencies", status_code=303)


@router.post("/admin/agencies/{agency_id}/units")
def add_unit_form(
    agency_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AGENCY_MANAGE))],
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    with runtime.db.session() as session:
        agency = agency_service.find_agency(session, agency_id)
        agency_service.add_unit(session, agency, name, actor=actor.id, now=now_for(request))
    return RedirectResponse(f"/admin/agencies#agency-{agency_id}", status_code=303)


# -- tokens -----------------------------------------------------------------------------


def _tokens_page(
    request: Request,
    session: Session,
    *,
    created: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    now = now_for(request)
    rows = list(token_service.list_tokens(session))
    return render(
        request,
        "admin_tokens.html",
        status_code=status_code,
        tokens=rows,
        state={t.id: token_service.token_status(t, now) for t in rows},
        grantable=token_service.grantable(),
        defaults=[str(p) for p in DEFAULT_TOKEN_PERMISSIONS],
        agencies=agency_service.list_agencies(session),
        max_days=token_service.MAX_DAYS,
        default_days=token_service.DEFAULT_DAYS,
        created=created,
        error=error,
    )


@router.get("/admin/tokens", response_class=HTMLResponse)
def tokens_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return _tokens_page(request, session)


@router.post("/admin/tokens", response_class=HTMLResponse)
def create_token_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))],
    name: Annotated[str, Form(max_length=100)],
    permission: Annotated[list[str] | None, Form()] = None,
    expires_days: Annotated[int, Form(ge=1, le=token_service.MAX_DAYS)] = (
        token_service.DEFAULT_DAYS
    ),
    agency_id: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """Create a token; its value is shown on this page once and never again."""
    try:
        with runtime.db.session() as session:
            token, raw = token_service.create_token(
                session,
                name=name,
                permissions=permission or None,
                expires_days=expires_days,
                actor=actor,
                agency_id=int(agency_id) if agency_id.strip().isdigit() else None,
                now=now_for(request),
            )
            created = {"id": token.id, "name": token.name, "token": raw}
    except InvalidInput as exc:
        with runtime.db.session(read_only=True) as session:
            return _tokens_page(request, session, error=exc.message, status_code=422)
    with runtime.db.session(read_only=True) as session:
        return _tokens_page(request, session, created=created)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_token_form(
    token_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.TOKEN_MANAGE))],
) -> Response:
    if not 1 <= token_id <= MAX_ID:
        raise NotFound(f"no token {token_id}")
    with runtime.db.session() as session:
        token_service.revoke_token(session, token_id, actor=actor, now=now_for(request))
    return RedirectResponse("/admin/tokens", status_code=303)

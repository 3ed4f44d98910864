"""Scoped API tokens for camera docks and integrations.

A token acts as its own principal (``token:ID``, role ``integration``) holding exactly the
permissions it was given, which must be ones an API token may hold (``INFO[p].token_ok``);
by default it may only upload. The raw token is shown once; the table keeps its SHA-256.
Tokens expire and can be revoked; creation and revocation are custody events on the token.
A token tied to an agency must be of a kind that may hold the ``integration`` role under the
access policy (the department's docks and feeds), as a person's agency must for their roles.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access.audit import Actor, AuthAction, actor_id, record
from sunlight.access.models import Agency, ApiToken
from sunlight.access.permissions import DEFAULT_TOKEN_PERMISSIONS, INFO, Permission
from sunlight.access.policy import load_access_policy
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.errors import InvalidInput, NotFound, RoleNotAllowed

PREFIX = "sunlight_"  # recognisable to secret scanners
MAX_DAYS = 730
DEFAULT_DAYS = 365
TOUCH_EVERY = timedelta(minutes=1)
#: The role every token acts in.
TOKEN_ROLE = "integration"  # noqa: S105 - a role name


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def grantable() -> list[Permission]:
    return [p for p in Permission if INFO[p].token_ok]


def _permissions(permissions: Iterable[str] | None) -> list[Permission]:
    if permissions is None:
        return list(DEFAULT_TOKEN_PERMISSIONS)
    chosen: list[Permission] = []
    for raw in permissions:
        try:
            permission = Permission(raw)
        except ValueError:
            raise InvalidInput(f"unknown permission {raw!r}") from None
        if not INFO[permission].token_ok:
            allowed = ", ".join(grantable())
            raise InvalidInput(
                f"an API token may not hold {permission}; tokens may hold: {allowed}"
            )
        if permission not in chosen:
            chosen.append(permission)
    if not chosen:
        raise InvalidInput("a token needs at least one permission")
    return sorted(chosen)


def _check_agency(agency: Agency) -> None:
    policy = load_access_policy().policy
    if not policy.role_allowed(TOKEN_ROLE, agency.kind):
        kinds = (
            ", ".join(policy.roles[TOKEN_ROLE].agency_kinds) if TOKEN_ROLE in policy.roles else ""
        )
        raise RoleNotAllowed(
            f"an API token acts in the role {TOKEN_ROLE}, which {agency.short_name} (an agency "
            f"of kind {agency.kind}) may not hold under the access policy; a token may act "
            f"for an agency of kind: {kinds or 'none'}",
            diagnostics={
                "roles": [TOKEN_ROLE],
                "agency": agency.short_name,
                "agency_kind": agency.kind,
            },
        )


def create_token(
    session: Session,
    *,
    name: str,
    permissions: Iterable[str] | None = None,
    expires_days: int | None = DEFAULT_DAYS,
    actor: Actor,
    agency_id: int | None = None,
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; returns it and the raw value (shown once, never stored)."""
    now = now or utcnow()
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InvalidInput("a token's name is 1-100 characters")
    chosen = _permissions(permissions)
    if expires_days is not None and not 1 <= expires_days <= MAX_DAYS:
        raise InvalidInput(f"a token expires after 1 to {MAX_DAYS} days")
    if agency_id is not None:
        agency = session.get(Agency, agency_id)
        if agency is None:
            raise InvalidInput(f"no agency {agency_id}")
        _check_agency(agency)
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_sha256=digest(raw),
        permissions=[str(p) for p in chosen],
        agency_id=agency_id,
        created_by=actor_id(actor),
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days is not None else None,
    )
    session.add(token)
    session.flush()
    record(
        session,
        actor=actor,
        action=AuthAction.TOKEN_CREATE,
        object_type="token",
        object_id=token.id,
        details={
            "name": name,
            "token_sha256": token.token_sha256,
            "permissions": token.permissions,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            "agency_id": agency_id,
        },
        at=now,
    )
    return token, raw


def list_tokens(session: Session, *, include_revoked: bool = True) -> Sequence[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return session.scalars(query).all()


def revoke_token(
    session: Session, token_id: int, *, actor: Actor, now: datetime | None = None
) -> ApiToken:
    now = now or utcnow()
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now
        token.revoked_by = actor_id(actor)
        record(
            session,
            actor=actor,
            action=AuthAction.TOKEN_REVOKE,
            object_type="token",
            object_id=token.id,
            details={"revoked_at": now.isoformat()},
            at=now,
        )
    return token


def token_status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and now >= token.expires_at:
        return "expired"
    return "active"


def principal_for_token(session: Session, token: ApiToken) -> Principal:
    agency = session.get(Agency, token.agency_id) if token.agency_id is not None else None
    return Principal(
        id=f"token:{token.id}",
        display_name=f"API token {token.name!r}",
        kind="token",
        roles=frozenset({TOKEN_ROLE}),
        agency_id=token.agency_id,
        agency_kind=agency.kind if agency is not None else None,
        token_id=token.id,
        granted=frozenset(p for p in Permission if str(p) in token.permissions),
        auth="token",
    )


def _find(session: Session, raw: str | None) -> ApiToken | None:
    if not raw or len(raw) > 200:
        return None
    return session.scalars(select(ApiToken).where(ApiToken.token_sha256 == digest(raw))).first()


def needs_touch(session: Session, raw: str, now: datetime) -> bool:
    token = _find(session, raw)
    return token is not None and (
        token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY
    )


def authenticate(
    session: Session, raw: str | None, now: datetime, *, touch: bool = True
) -> Principal | None:
    """The principal of a bearer token, or None for an unknown, expired or revoked one.
    With ``touch`` (a write session) its ``last_used_at`` is kept (at most once a minute)."""
    token = _find(session, raw)
    if token is None or token_status(token, now) != "active":
        return None
    if touch and (token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY):
        token.last_used_at = now
    return principal_for_token(session, token)

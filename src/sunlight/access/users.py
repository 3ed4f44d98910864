"""People and their roles: create, change roles, set passwords, disable, unlock, reset the
second factor, end sessions. Every change is a custody event on ``user:ID`` (CJIS AU-2), and
role changes record the access policy file's hash, so the record says under which published
policy the roles were granted.

A role is given only to someone whose kind of agency may hold it under the access policy
(its roles' ``agency_kinds``): creating a user, changing roles and moving a user to another
agency all refuse otherwise (``RoleNotAllowed``), changing nothing. ``misplaced_roles``
lists the accounts that hold such a role anyway (a role the policy narrowed since).

The CLI (``sunlight users ...``) and the admin pages are faces over these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, text, update
from sqlalchemy.orm import Session, joinedload, selectinload

from sunlight.access.audit import Actor, AuthAction, actor_id, record
from sunlight.access.models import (
    Agency,
    AuthSession,
    RecoveryCode,
    TotpCredential,
    User,
    UserRole,
    WebAuthnCredential,
)
from sunlight.access.passwords import check_new_password, hash_password
from sunlight.access.policy import AccessPolicy, load_access_policy
from sunlight.db.base import utcnow
from sunlight.errors import Conflict, InvalidInput, NotFound, RoleNotAllowed

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _policy() -> tuple[AccessPolicy, str]:
    loaded = load_access_policy()
    return loaded.policy, loaded.sha256


def assignable_roles(policy: AccessPolicy | None = None) -> list[str]:
    """Roles a person can hold: the policy's staff roles (not ``system``, ``integration``
    or ``share-recipient``, which belong to jobs, tokens and links)."""
    policy = policy or _policy()[0]
    return [name for name, role in policy.roles.items() if role.staff]


def check_roles(roles: Iterable[str], policy: AccessPolicy | None = None) -> list[str]:
    policy = policy or _policy()[0]
    wanted = sorted(set(roles))
    allowed = assignable_roles(policy)
    unknown = [r for r in wanted if r not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown role(s) {', '.join(unknown)}; roles of the access policy: "
            f"{', '.join(allowed)}"
        )
    return wanted


def roles_for_kind(agency_kind: str, policy: AccessPolicy | None = None) -> list[str]:
    """The assignable roles that someone of an agency of ``agency_kind`` may hold."""
    policy = policy or _policy()[0]
    return [r for r in assignable_roles(policy) if policy.role_allowed(r, agency_kind)]


def check_roles_for_agency(
    roles: Iterable[str], agency: Agency, policy: AccessPolicy | None = None
) -> None:
    """Refuse (``RoleNotAllowed``) roles that ``agency``'s kind may not hold."""
    policy = policy or _policy()[0]
    refused = policy.roles_not_allowed(roles, agency.kind)
    if not refused:
        return
    allowed = roles_for_kind(agency.kind, policy)
    raise RoleNotAllowed(
        f"{'role' if len(refused) == 1 else 'roles'} {', '.join(refused)} may not be held in "
        f"{agency.short_name} (an agency of kind {agency.kind}) under the access policy; "
        f"roles an agency of that kind may hold: {', '.join(allowed) or 'none'}",
        diagnostics={
            "roles": refused,
            "agency": agency.short_name,
            "agency_kind": agency.kind,
            "allowed": allowed,
        },
    )


def is_staff(user: User, policy: AccessPolicy | None = None) -> bool:
    """Holds a staff role, so must sign in with a second factor."""
    policy = policy or _policy()[0]
    return any(policy.roles[r].staff for r in user.role_names if r in policy.roles)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username.strip().lower())).first()


def user_by_name_or_id(session: Session, key: str) -> User:
    """``42`` or ``jsmith``: what the CLI accepts."""
    user = get_user(session, int(key)) if key.isdigit() else find_user(session, key)
    if user is None:
        raise NotFound(f"no user {key!r}")
    return user


def list_users(session: Session, *, agency_id: int | None = None) -> Sequence[User]:
    query = select(User).order_by(User.username)
    if agency_id is not None:
        query = query.where(User.agency_id == agency_id)
    return session.scalars(query).all()


def has_second_factor(session: Session, user: User) -> bool:
    totp = session.scalar(
        select(TotpCredential.id).where(
            TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None)
        )
    )
    if totp is not None:
        return True
    key = session.scalar(select(WebAuthnCredential.id).where(WebAuthnCredential.user_id == user.id))
    return key is not None


def _check_password(user_fields: tuple[str, ...], password: str, policy: AccessPolicy) -> None:
    check_new_password(
        password,
        min_length=policy.session.password_min_length,
        context=tuple(f for f in user_fields if f),
    )


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    agency_id: int,
    roles: Iterable[str],
    password: str | None = None,
    unit: str | None = None,
    officer_id: int | None = None,
    email: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> User:
    now = now or utcnow()
    policy, sha = _policy()
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(
            "a username is 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    display_name = " ".join(display_name.split())
    if not display_name or len(display_name) > 200:
        raise InvalidInput("a display name is 1-200 characters")
    if find_user(session, username) is not None:
        raise Conflict(f"there is already a user {username!r}")
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise InvalidInput(f"no agency {agency_id}")
    if officer_id is not None:
        found = session.execute(
            text("SELECT 1 FROM officers WHERE id = :id"), {"id": officer_id}
        ).first()
        if found is None:
            raise InvalidInput(f"no officer {officer_id}")
    role_list = check_roles(roles, policy)
    check_roles_for_agency(role_list, agency, policy)
    user = User(
        username=username,
        display_name=display_name,
        agency_id=agency_id,
        unit=unit or None,
        officer_id=officer_id,
        email=email or None,
        created_at=now,
    )
    if password is not None:
        _check_password((username, display_name, email or ""), password, policy)
        user.password_hash = hash_password(password)
        user.password_changed_at = now
    who = actor_id(actor)
    user.roles = [UserRole(role=r, granted_by=who, granted_at=now) for r in role_list]
    session.add(user)
    session.flush()
    record(
        session,
        actor=who,
        action=AuthAction.USER_CREATE,
        object_id=user.id,
        details={
            "username": username,
            "agency_id": agency_id,
            "unit": user.unit,
            "officer_id": officer_id,
            "roles": role_list,
            "role_rows": {r.role: r.id for r in user.roles},
            "policy_version": policy.version,
            "policy_sha256": sha,
        },
        at=now,
    )
    return user


def set_roles(
    session: Session,
    user: User,
    roles: Iterable[str],
    *,
    actor: Actor,
    now: datetime | None = None,
) -> list[str]:
    """Replace the user's roles; records before/after and the policy file's sha256."""
    now = now or utcnow()
    policy, sha = _policy()
    wanted = check_roles(roles, policy)
    check_roles_for_agency(wanted, user.agency, policy)
    before = sorted(user.role_names)
    who = actor_id(actor)
    removed = _replace_roles(session, user, wanted, who=who, now=now)
    record(
        session,
        actor=who,
        action=AuthAction.USER_ROLES,
        object_id=user.id,
        details=_role_change(user, before, wanted, removed, policy, sha),
        at=now,
    )
    return wanted


def _replace_roles(
    session: Session, user: User, wanted: list[str], *, who: str, now: datetime
) -> list[int]:
    """Give ``user`` exactly ``wanted`` (kept rows stay); returns the removed rows' ids."""
    before = user.role_names
    keep = [r for r in user.roles if r.role in wanted]
    removed = sorted(r.id for r in user.roles if r.role not in wanted)
    added = [UserRole(role=r, granted_by=who, granted_at=now) for r in wanted if r not in before]
    user.roles = keep + added
    session.flush()
    return removed


def _role_change(
    user: User,
    before: list[str],
    wanted: list[str],
    removed: list[int],
    policy: AccessPolicy,
    sha: str,
) -> dict[str, object]:
    """What a role change records (``user.roles``, ``user.agency``): the roles before and
    after, the rows held and removed (the access-table replay rebuilds them from these) and
    the access policy in force."""
    return {
        "before": before,
        "after": wanted,
        "role_rows": {r.role: r.id for r in user.roles},
        "removed_rows": removed,
        "policy_version": policy.version,
        "policy_sha256": sha,
    }


def move_user(
    session: Session,
    user: User,
    agency: Agency,
    *,
    roles: Iterable[str] | None = None,
    unit: str | None = None,
    actor: Actor,
    now: datetime | None = None,
) -> None:
    """Move ``user`` to ``agency`` (and ``unit`` there, or none). The roles they hold, or
    ``roles`` given with the move (a custodian who joins the Highway Patrol as an outside
    investigator), must be ones the new agency's kind may hold; otherwise nothing changes
    (``RoleNotAllowed`` names them). One custody event, ``user.agency``, records the
    agencies, units and roles before and after, with the access policy's hash."""
    now = now or utcnow()
    policy, sha = _policy()
    unit = (unit or "").strip() or None
    if unit is not None and len(unit) > 100:
        raise InvalidInput("a unit's name is at most 100 characters")
    before = sorted(user.role_names)
    wanted = check_roles(roles, policy) if roles is not None else before
    if not wanted:
        raise InvalidInput("a user keeps at least one role; to stop someone, disable them")
    if agency.id == user.agency_id and unit == user.unit and wanted == before:
        raise InvalidInput(f"{user.username} is already in {agency.short_name}")
    refused = policy.roles_not_allowed(wanted, agency.kind)
    if refused and roles is None:
        allowed = roles_for_kind(agency.kind, policy)
        raise RoleNotAllowed(
            f"{user.username} cannot move to {agency.short_name} (an agency of kind "
            f"{agency.kind}) holding {', '.join(refused)}, which it may not hold under the "
            f"access policy; give the roles they will hold there with the move (one of: "
            f"{', '.join(allowed) or 'none'})",
            diagnostics={
                "roles": refused,
                "agency": agency.short_name,
                "agency_kind": agency.kind,
                "allowed": allowed,
            },
        )
    check_roles_for_agency(wanted, agency, policy)
    who = actor_id(actor)
    agency_before, unit_before = user.agency_id, user.unit
    user.agency_id = agency.id
    user.agency = agency
    user.unit = unit
    removed = _replace_roles(session, user, wanted, who=who, now=now)
    record(
        session,
        actor=who,
        action=AuthAction.USER_AGENCY,
        object_id=user.id,
        details={
            "agency_before": agency_before,
            "agency_id": agency.id,
            "agency_kind": agency.kind,
            "unit_before": unit_before,
            "unit": unit,
            **_role_change(user, before, wanted, removed, policy, sha),
        },
        at=now,
    )


def misplaced_roles(session: Session) -> list[tuple[User, list[str]]]:
    """The accounts holding roles their agency's kind may not hold under the access policy
    in force (a policy that narrowed a role since it was given, or a row edited in the
    table), each with those roles. Such roles grant nothing (``sunlight.access.decide``);
    an administrator removes them or moves the account."""
    policy, _ = _policy()
    found: list[tuple[User, list[str]]] = []
    query = select(User).options(selectinload(User.roles), joinedload(User.agency))
    for user in session.scalars(query.order_by(User.username)):
        refused = policy.roles_not_allowed(user.role_names, user.agency.kind)
        if refused:
            found.append((user, refused))
    return found


def set_password(
    session: Session,
    user: User,
    password: str,
    *,
    actor: Actor,
    now: datetime | None = None,
    keep_session_id: int | None = None,
) -> None:
    """Set a new password (checked against the blocklist and minimum length). Other
    sessions of the user end: whoever knew the old password is signed out."""
    now = now or utcnow()
    policy, _ = _policy()
    _check_password((user.username, user.display_name, user.email or ""), password, policy)
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    user.failed_sign_ins = 0
    user.locked_at = None
    record(
        session,
        actor=actor,
        action=AuthAction.USER_PASSWORD,
        object_id=user.id,
        details={"by_self": actor_id(actor) == f"user:{user.id}"},
        at=now,
    )
    _end(session, user, reason="password-change", now=now, keep=keep_session_id)


def disable_user(
    session: Session,
    user: User,
    *,
    actor: Actor,
    now: datetime | None = None,
    reason: str | None = None,
) -> int:
    """Disable an account; its sessions end now. Returns how many sessions ended."""
    now = now or utcnow()
    if user.disabled_at is None:
        user.disabled_at = now
    ended = _end(session, user, reason="disabled", now=now)
    record(
        session,
        actor=actor,
        action=AuthAction.USER_DISABLE,
        object_id=user.id,
        reason=reason,
        details={"sessions_ended": ended, "disabled_at": user.disabled_at.isoformat()},
        at=now,
    )
    return ended


def enable_user(session: Session, user: User, *, actor: Actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    user.disabled_at = None
    record(session, actor=actor, action=AuthAction.USER_ENABLE, object_id=user.id, at=now)


def unlock_user(session: Session, user: User, *, actor: Actor, now: datetime | None = None) -> None:
    now = now or utcnow()
    user.locked_at = None
    user.failed_sign_ins = 0
    record(session, actor=actor, action=AuthAction.USER_UNLOCK, object_id=user.id, at=now)


def reset_mfa(
    session: Session,
    user: User,
    *,
    actor: Actor,
    now: datetime | None = None,
    reason: str | None = None,
) -> int:
    """Remove the user's TOTP, recovery codes and passkeys and end their sessions; a staff
    user enrols a new factor at the next sign-in. Returns how many sessions ended."""
    now = now or utcnow()
    totp = session.execute(delete(TotpCredential).where(TotpCredential.user_id == user.id))
    codes = session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    keys = session.execute(delete(WebAuthnCredential).where(WebAuthnCredential.user_id == user.id))
    ended = _end(session, user, reason="mfa-reset", now=now)
    record(
        session,
        actor=actor,
        action=AuthAction.MFA_RESET,
        object_id=user.id,
        reason=reason,
        details={
            "totp_removed": totp.rowcount,  # type: ignore[attr-defined]
            "recovery_codes_removed": codes.rowcount,  # type: ignore[attr-defined]
            "passkeys_removed": keys.rowcount,  # type: ignore[attr-defined]
            "sessions_ended": ended,
        },
        at=now,
    )
    return ended


def end_sessions(
    session: Session,
    user: User,
    *,
    actor: Actor,
    reason: str,
    now: datetime | None = None,
    keep_session_id: int | None = None,
) -> int:
    """End every open session of ``user`` (an administrator's "sign out everywhere")."""
    now = now or utcnow()
    ended = _end(session, user, reason=reason[:40] or "ended", now=now, keep=keep_session_id)
    record(
        session,
        actor=actor,
        action=AuthAction.SESSIONS_END,
        object_id=user.id,
        reason=reason,
        details={"sessions_ended": ended},
        at=now,
    )
    return ended


def _end(
    session: Session, user: User, *, reason: str, now: datetime, keep: int | None = None
) -> int:
    query = (
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason[:40])
        .execution_options(synchronize_session="fetch")
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    result = session.execute(query)
    return int(result.rowcount)  # type: ignore[attr-defined]

"""Server-side sign-in sessions (CJIS AC-7, AC-11, AC-12; NIST SP 800-63B-4 §7).

A session starts after the password with its second factor pending; it becomes a signed-in
session when the second factor is verified (a staff account without one may only enrol).
The cookie holds a random value; the row keeps its SHA-256 digest. A session ends when it
has been idle for ``policy.session.idle_minutes`` (the next request asks to sign in again),
after ``absolute_hours`` whatever happens, on sign-out, or when an administrator ends it or
disables the account. Five failed sign-ins lock the account for ``lock_minutes``.

Every success, failure, lock and sign-out is a custody event on ``user:ID``. Every function
takes ``now`` so tests can freeze time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access.audit import AuthAction, record
from sunlight.access.models import AuthSession, User
from sunlight.access.passwords import hash_password, needs_rehash, verify_password
from sunlight.access.policy import AccessPolicy, SessionRules, load_access_policy
from sunlight.access.principal import Principal
from sunlight.access.users import find_user, has_second_factor, is_staff

#: How often ``last_seen_at`` is written at most: a read-mostly page does not write per request.
TOUCH_EVERY = timedelta(seconds=5)
#: A session whose second factor is pending must finish within this time.
PENDING_LIMIT = timedelta(minutes=10)

MfaMethod = Literal["totp", "recovery-code", "passkey", "none"]
Stage = Literal["mfa", "enrol", "done"]


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def rules() -> SessionRules:
    return load_access_policy().policy.session


def _policy() -> AccessPolicy:
    return load_access_policy().policy


@dataclass(frozen=True)
class SignIn:
    """The answer to a password: a session (with its cookie value) or why not."""

    ok: bool
    message: str = ""
    auth_session: AuthSession | None = None
    raw_token: str | None = None
    user: User | None = None
    stage: Stage = "mfa"


GENERIC_FAILURE = "That username and password do not match an active account."


def _fail(
    session: Session, user: User | None, username: str, why: str, now: datetime, *, step: str
) -> None:
    record(
        session,
        actor=f"user:{user.id}" if user is not None else "public",
        action=AuthAction.SIGN_IN,
        object_id=user.id if user is not None else "unknown",
        outcome="failed",
        reason=why,
        details={"username": username[:64], "step": step},
        at=now,
    )


def is_locked(user: User, now: datetime, session_rules: SessionRules | None = None) -> bool:
    session_rules = session_rules or rules()
    if user.locked_at is None:
        return False
    return now < user.locked_at + timedelta(minutes=session_rules.lock_minutes)


def count_failure(session: Session, user: User, now: datetime, *, why: str, step: str) -> bool:
    """Record a failed attempt on a known account; lock it at the policy's limit. Returns
    whether the account is now locked."""
    session_rules = rules()
    if user.locked_at is not None and not is_locked(user, now, session_rules):
        user.locked_at = None  # the lock ran out: count afresh
        user.failed_sign_ins = 0
    user.failed_sign_ins += 1
    _fail(session, user, user.username, why, now, step=step)
    if user.failed_sign_ins >= session_rules.lock_after_failures and user.locked_at is None:
        user.locked_at = now
        record(
            session,
            actor="system:sign-in",
            action=AuthAction.USER_LOCK,
            object_id=user.id,
            reason=f"{user.failed_sign_ins} failed sign-ins",
            details={"lock_minutes": session_rules.lock_minutes},
            at=now,
        )
        return True
    return False


def sign_in_password(
    session: Session,
    *,
    username: str,
    password: str,
    now: datetime,
    user_agent: str | None = None,
) -> SignIn:
    """Check a username and password. Failures are recorded and returned, not raised, so
    the caller commits them. On success a session starts with its second factor pending
    (``stage`` "mfa"), or, for a staff account without one, only enrolment allowed
    ("enrol"); an account with no staff role and no second factor is signed in ("done")."""
    username = username.strip().lower()[:64]
    user = find_user(session, username) if username else None
    if user is None:
        verify_password(None, password)  # same time as a real check
        _fail(session, None, username, "unknown username", now, step="password")
        return SignIn(False, GENERIC_FAILURE)
    if is_locked(user, now):
        _fail(session, user, username, "account locked", now, step="password")
        minutes = rules().lock_minutes
        return SignIn(
            False,
            f"This account is locked after repeated failed sign-ins; try again in {minutes} "
            "minutes or ask an administrator to unlock it.",
        )
    if not verify_password(user.password_hash, password):
        locked = count_failure(session, user, now, why="wrong password", step="password")
        if locked:
            return SignIn(
                False, "Too many failed sign-ins: this account is now locked for a while."
            )
        return SignIn(False, GENERIC_FAILURE)
    if user.disabled_at is not None:
        _fail(session, user, username, "account disabled", now, step="password")
        return SignIn(False, GENERIC_FAILURE)
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_sign_ins = 0
    user.locked_at = None
    if has_second_factor(session, user):
        stage: Stage = "mfa"
    elif is_staff(user, _policy()):
        stage = "enrol"
    else:
        stage = "done"
    raw = secrets.token_urlsafe(32)
    auth_session = AuthSession(
        token_sha256=digest(raw),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        user_agent=(user_agent or "")[:300] or None,
        pending={"stage": stage},
    )
    session.add(auth_session)
    session.flush()
    if stage == "done":
        raw = complete(session, auth_session, method="none", now=now)
    return SignIn(True, "", auth_session, raw, user, stage)


def complete(
    session: Session, auth_session: AuthSession, *, method: MfaMethod, now: datetime
) -> str:
    """The second factor is verified (or enrolled): the session is signed in. The cookie
    value is replaced (no session fixation); returns the new one."""
    raw = secrets.token_urlsafe(32)
    auth_session.token_sha256 = digest(raw)
    auth_session.csrf_token = secrets.token_urlsafe(32)
    auth_session.mfa_at = now
    auth_session.mfa_method = method
    auth_session.reauth_at = now
    auth_session.last_seen_at = now
    auth_session.pending = {}
    record(
        session,
        actor=f"user:{auth_session.user_id}",
        action=AuthAction.SIGN_IN,
        object_id=auth_session.user_id,
        details={"method": method, "session_id": auth_session.id},
        at=now,
    )
    return raw


@dataclass(frozen=True)
class Resolved:
    """A cookie's session, its user, and whether it is fully signed in."""

    auth_session: AuthSession
    user: User

    @property
    def signed_in(self) -> bool:
        return self.auth_session.mfa_at is not None

    @property
    def stage(self) -> Stage:
        if self.signed_in:
            return "done"
        stage = self.auth_session.pending.get("stage", "mfa")
        return "enrol" if stage == "enrol" else "mfa"


EndReason = Literal["idle", "absolute", "pending", "disabled", "ended"]


def end_reason_for(auth_session: AuthSession, user: User, now: datetime) -> EndReason | None:
    """Why this session can no longer be used at ``now`` (None: it can)."""
    session_rules = rules()
    if auth_session.ended_at is not None:
        return "ended"
    if user.disabled_at is not None:
        return "disabled"
    if now - auth_session.created_at > timedelta(hours=session_rules.absolute_hours):
        return "absolute"
    if auth_session.mfa_at is None and now - auth_session.created_at > PENDING_LIMIT:
        return "pending"
    if now - auth_session.last_seen_at > timedelta(minutes=session_rules.idle_minutes):
        return "idle"
    return None


def resolve(
    session: Session, raw: str | None, *, now: datetime, touch: bool = True
) -> Resolved | EndReason | None:
    """The session a cookie names: ``Resolved`` if usable, the reason it ended (``"idle"``,
    ``"absolute"``...), or None for no such session. With ``touch`` (a write session) its
    ``last_seen_at`` moves to ``now`` and a session that just ran out is ended; without,
    nothing is written."""
    if not raw or len(raw) > 200:
        return None
    auth_session = session.scalars(
        select(AuthSession).where(AuthSession.token_sha256 == digest(raw))
    ).first()
    if auth_session is None:
        return None
    user = auth_session.user
    why = end_reason_for(auth_session, user, now)
    if why is not None:
        if touch and auth_session.ended_at is None:
            auth_session.ended_at = now
            auth_session.end_reason = why
        return why
    if touch and now - auth_session.last_seen_at >= TOUCH_EVERY:
        auth_session.last_seen_at = now
    return Resolved(auth_session, user)


def reauthenticate(session: Session, resolved: Resolved, password: str, *, now: datetime) -> bool:
    """The signed-in user proves who they are again (before privileged actions, MFA and
    password changes). A wrong password counts toward the lock, and a lock ends the session."""
    user = resolved.user
    if is_locked(user, now) or not verify_password(user.password_hash, password):
        if count_failure(session, user, now, why="wrong password", step="reauth"):
            resolved.auth_session.ended_at = now
            resolved.auth_session.end_reason = "locked"
        return False
    user.failed_sign_ins = 0
    resolved.auth_session.reauth_at = now
    record(
        session,
        actor=f"user:{user.id}",
        action=AuthAction.REAUTH,
        object_id=user.id,
        details={"session_id": resolved.auth_session.id},
        at=now,
    )
    return True


def sign_out(session: Session, auth_session: AuthSession, *, now: datetime) -> None:
    if auth_session.ended_at is None:
        auth_session.ended_at = now
        auth_session.end_reason = "sign-out"
    record(
        session,
        actor=f"user:{auth_session.user_id}",
        action=AuthAction.SIGN_OUT,
        object_id=auth_session.user_id,
        details={"session_id": auth_session.id},
        at=now,
    )


def reauth_fresh(principal: Principal, now: datetime) -> bool:
    """Whether a session principal re-authenticated within the policy's step-up window."""
    if principal.auth != "session":
        return True
    if principal.reauth_at is None:
        return False
    return now - principal.reauth_at <= timedelta(minutes=rules().reauth_minutes)


def principal_for(user: User, auth_session: AuthSession) -> Principal:
    """The principal a signed-in session acts as; ``user:ID`` in custody events."""
    return Principal(
        id=f"user:{user.id}",
        display_name=user.display_name,
        kind="user",
        roles=user.role_names,
        agency_id=user.agency_id,
        agency_kind=user.agency.kind,
        unit=user.unit,
        officer_id=user.officer_id,
        user_id=user.id,
        auth="session",
        session_id=auth_session.id,
        reauth_at=auth_session.reauth_at,
    )


def csrf_matches(auth_session: AuthSession, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(auth_session.csrf_token.encode(), presented.encode())

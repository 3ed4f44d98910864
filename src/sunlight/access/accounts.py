"""What an administrator sees of an account: which second factors it has, whether it is
locked, when it last signed in. Read-only; the changes are in ``sunlight.access.users``.

The CLI (``sunlight users list``) and the admin pages (``/admin/users``) both read this, so
they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.access.models import AuthSession, TotpCredential, User, WebAuthnCredential
from sunlight.access.sessions import is_locked
from sunlight.db.base import utcnow


@dataclass(frozen=True)
class AccountStatus:
    #: the second factors enrolled: "totp", "passkey", "totp+passkey", or "" (none)
    mfa: str
    passkeys: int
    locked: bool
    disabled: bool
    open_sessions: int
    last_sign_in: datetime | None


def account_status(session: Session, user: User, *, now: datetime | None = None) -> AccountStatus:
    now = now or utcnow()
    totp = session.scalar(
        select(func.count())
        .select_from(TotpCredential)
        .where(TotpCredential.user_id == user.id, TotpCredential.confirmed_at.is_not(None))
    )
    passkeys = (
        session.scalar(
            select(func.count())
            .select_from(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user.id)
        )
        or 0
    )
    factors = [name for name, count in (("totp", totp or 0), ("passkey", passkeys)) if count]
    last = session.scalar(
        select(func.max(AuthSession.mfa_at)).where(AuthSession.user_id == user.id)
    )
    open_sessions = (
        session.scalar(
            select(func.count())
            .select_from(AuthSession)
            .where(AuthSession.user_id == user.id, AuthSession.ended_at.is_(None))
        )
        or 0
    )
    return AccountStatus(
        mfa="+".join(factors),
        passkeys=passkeys,
        locked=is_locked(user, now),
        disabled=user.disabled_at is not None,
        open_sessions=open_sessions,
        last_sign_in=last,
    )


def statuses(
    session: Session, users: Sequence[User], *, now: datetime | None = None
) -> dict[int, AccountStatus]:
    now = now or utcnow()
    return {u.id: account_status(session, u, now=now) for u in users}

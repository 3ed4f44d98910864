"""Custody events for sign-in, accounts and tokens (CJIS AU-2), without importing a domain.

``access`` imports no domain, yet every sign-in, lock, MFA change, role change and token
change must be a custody event sealed into the ledger like any other. The evidence core
registers its one door (``sunlight.evidence.custody.record``) here when it is imported
(``sunlight.models`` imports it at start-up); recording before that is a bug, not a silent
loss, so it raises.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sunlight.access.principal import Principal


class AuthAction(StrEnum):
    """The custody actions of sign-in and account management (object_type ``user``,
    ``token`` or ``agency``): the access half of the custody vocabulary, beside
    ``sunlight.evidence.custody.Action``; ``custody.record`` takes either."""

    USER_CREATE = "user.create"
    USER_ROLES = "user.roles"
    #: moved to another agency (and unit), with the roles held there
    USER_AGENCY = "user.agency"
    USER_PASSWORD = "user.password"  # noqa: S105 - an action name
    USER_DISABLE = "user.disable"
    USER_ENABLE = "user.enable"
    USER_LOCK = "user.lock"
    USER_UNLOCK = "user.unlock"
    SIGN_IN = "sign-in"
    SIGN_OUT = "sign-out"
    REAUTH = "reauth"
    SESSIONS_END = "sessions.end"
    MFA_ENROL = "mfa.enrol"
    MFA_RESET = "mfa.reset"
    RECOVERY_CODES = "mfa.recovery-codes"
    TOKEN_CREATE = "token.create"  # noqa: S105
    TOKEN_REVOKE = "token.revoke"  # noqa: S105
    TOKEN_REFUSED = "token.refused"  # noqa: S105
    # accounts: agencies and their units (object_type ``agency``)
    AGENCY_CREATE = "agency.create"
    UNIT_CREATE = "unit.create"


class Recorder(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        object_type: str,
        object_id: str | int,
        outcome: str,
        reason: str | None,
        details: dict[str, Any] | None,
        at: datetime | None,
    ) -> object: ...


_recorder: Recorder | None = None

#: Who did it: a principal, or its id.
Actor = Principal | str


def register_recorder(recorder: Recorder) -> None:
    global _recorder
    _recorder = recorder


def actor_id(actor: Principal | str) -> str:
    return actor.id if isinstance(actor, Principal) else actor


def record(
    session: Session,
    *,
    actor: Principal | str,
    action: AuthAction,
    object_type: str = "user",
    object_id: str | int,
    outcome: str = "success",
    reason: str | None = None,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    if _recorder is None:
        raise RuntimeError("no custody recorder registered: import sunlight.models first")
    _recorder(
        session,
        actor=actor_id(actor),
        action=str(action),
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        details=details,
        at=at,
    )

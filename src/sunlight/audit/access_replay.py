"""What the custody events say the access tables hold: accounts (agency, unit, officer,
disabled), their roles, API tokens (permissions, digest, expiry, revocation) and shares.

A hostile insider with database access would go for these rows: grant themselves a role,
widen a token, re-enable an account, stretch a share or swap a link's digest for one they
know. None of that is a custody event, so the replay finds it. Registered when imported.
"""

from __future__ import annotations

from typing import Any

from sunlight.access.audit import AuthAction
from sunlight.evidence.custody import Action
from sunlight.evidence.replay import ANY, Event, State, audited_table, moment, projects

USERS = "users"
ROLES = "user_roles"
TOKENS = "api_tokens"
SHARES = "shares"

audited_table(USERS, ("username", "agency_id", "unit", "officer_id", "disabled_at"))
audited_table(ROLES, ("user_id", "role"))
audited_table(
    TOKENS,
    ("name", "token_sha256", "permissions", "agency_id", "expires_at", "revoked_at", "created_by"),
)
audited_table(
    SHARES,
    (
        "recording_id",
        "recipient",
        "recipient_kind",
        "agency_id",
        "link_sha256",
        "can_download",
        "can_reshare",
        "parent_id",
        "expires_at",
        "revoked_at",
        "created_by",
    ),
)


def _role_rows(event: Event, state: State, user_id: int) -> None:
    rows = event.details.get("role_rows")
    if not isinstance(rows, dict):
        return
    for role, row_id in rows.items():
        if isinstance(row_id, int):
            state.create(ROLES, row_id, {"user_id": user_id, "role": role})
    for row_id in event.details.get("removed_rows") or []:
        if isinstance(row_id, int):
            state.remove(ROLES, row_id)


@projects(AuthAction.USER_CREATE)
def _user_created(event: Event, state: State) -> None:
    user_id = event.object_key
    if user_id is None or event.object_type != "user":
        return
    details = event.details
    state.create(
        USERS,
        user_id,
        {
            "username": details.get("username"),
            "agency_id": details.get("agency_id"),
            "unit": details.get("unit"),
            "officer_id": details.get("officer_id"),
            "disabled_at": None,
        },
    )
    _role_rows(event, state, user_id)


@projects(AuthAction.USER_ROLES)
def _roles(event: Event, state: State) -> None:
    if event.object_key is not None and event.object_type == "user":
        _role_rows(event, state, event.object_key)


@projects(AuthAction.USER_AGENCY)
def _moved(event: Event, state: State) -> None:
    user_id = event.object_key
    if user_id is None or event.object_type != "user":
        return
    details = event.details
    state.update(USERS, user_id, agency_id=details.get("agency_id"), unit=details.get("unit"))
    _role_rows(event, state, user_id)


@projects(AuthAction.USER_DISABLE)
def _disabled(event: Event, state: State) -> None:
    if event.object_key is not None and event.object_type == "user":
        when = event.details.get("disabled_at")
        state.update(USERS, event.object_key, disabled_at=moment(when) if when else ANY)


@projects(AuthAction.USER_ENABLE)
def _enabled(event: Event, state: State) -> None:
    if event.object_key is not None and event.object_type == "user":
        state.update(USERS, event.object_key, disabled_at=None)


@projects(AuthAction.TOKEN_CREATE)
def _token_created(event: Event, state: State) -> None:
    token_id = event.object_key
    if token_id is None or event.object_type != "token":
        return
    details = event.details
    doc: dict[str, Any] = {
        "name": details.get("name"),
        "permissions": details.get("permissions"),
        "agency_id": details.get("agency_id"),
        "expires_at": moment(details.get("expires_at")),
        "revoked_at": None,
        "created_by": event.actor,
    }
    if "token_sha256" in details:  # stated since the access replay began
        doc["token_sha256"] = details["token_sha256"]
    state.create(TOKENS, token_id, doc)


@projects(AuthAction.TOKEN_REVOKE)
def _token_revoked(event: Event, state: State) -> None:
    if event.object_key is not None and event.object_type == "token":
        when = event.details.get("revoked_at")
        state.update(TOKENS, event.object_key, revoked_at=moment(when) if when else ANY)


@projects(Action.SHARE_CREATE)
def _share_created(event: Event, state: State) -> None:
    details = event.details
    share_id = details.get("share_id")
    if not isinstance(share_id, int) or event.object_key is None:
        return
    doc: dict[str, Any] = {
        "recording_id": event.object_key,
        "recipient": details.get("recipient"),
        "recipient_kind": details.get("recipient_kind"),
        "agency_id": details.get("agency_id"),
        "can_download": details.get("can_download"),
        "can_reshare": details.get("can_reshare"),
        "parent_id": details.get("parent_id"),
        "expires_at": moment(details.get("expires_at")),
        "revoked_at": None,
        "created_by": event.actor,
    }
    if "link_sha256" in details:
        doc["link_sha256"] = details["link_sha256"]
    state.create(SHARES, share_id, doc)


@projects(Action.SHARE_REVOKE)
def _share_revoked(event: Event, state: State) -> None:
    share_id = event.details.get("share_id")
    if isinstance(share_id, int):
        when = event.details.get("revoked_at")
        state.update(SHARES, share_id, revoked_at=moment(when) if when else ANY)

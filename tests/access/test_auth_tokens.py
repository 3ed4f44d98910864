"""API tokens: scoped, stored hashed, expiring, revocable; their own principal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sunlight.access import tokens
from sunlight.access.models import ApiToken
from sunlight.access.permissions import Permission
from sunlight.access.principal import Principal
from sunlight.errors import InvalidInput
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
ADMIN = Principal.cli(operator="tests")


def test_a_token_is_upload_only_by_default_and_stored_hashed(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        token, raw = tokens.create_token(session, name="Dock 3", actor=ADMIN, now=NOW)
        assert token.permissions == ["recording:upload"]
        stored = session.scalars(select(ApiToken)).one()
        assert raw not in (stored.token_sha256, stored.name) and raw.startswith("sunlight_")
        principal = tokens.authenticate(session, raw, NOW)
        assert principal is not None
        assert principal.id == f"token:{token.id}" and principal.kind == "token"
        assert principal.roles == {"integration"}
        assert principal.granted == {Permission.RECORDING_UPLOAD}
        (event,) = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == "token.create")
        ).all()
        assert event.actor == "cli:tests" and event.object_type == "token"


@pytest.mark.parametrize("permission", ["recording:view", "user:manage", "nonsense", "*"])
def test_ungrantable_or_unknown_permissions_are_refused(runtime: Runtime, permission: str) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidInput):
        tokens.create_token(session, name="x", permissions=[permission], actor=ADMIN, now=NOW)


def test_expired_and_revoked_tokens_are_refused(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        token, raw = tokens.create_token(
            session,
            name="CAD feed",
            permissions=["incident:import"],
            expires_days=1,
            actor=ADMIN,
            now=NOW,
        )
        assert tokens.authenticate(session, raw, NOW + timedelta(hours=23)) is not None
        assert tokens.authenticate(session, raw, NOW + timedelta(days=1)) is None
        other, raw2 = tokens.create_token(session, name="Dock", actor=ADMIN, now=NOW)
        tokens.revoke_token(session, other.id, actor=ADMIN, now=NOW)
        assert tokens.authenticate(session, raw2, NOW) is None
        assert tokens.token_status(other, NOW) == "revoked"
        assert tokens.authenticate(session, "sunlight_guess", NOW) is None
        assert [t.id for t in tokens.list_tokens(session, include_revoked=False)] == [token.id]

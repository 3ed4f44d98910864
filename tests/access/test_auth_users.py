"""Accounts: creation, roles (with the policy hash), passwords, disable, MFA reset."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from sunlight.access import users
from sunlight.access.models import Agency, AuthSession, TotpCredential
from sunlight.access.policy import load_access_policy
from sunlight.access.principal import Principal
from sunlight.errors import Conflict, InvalidInput
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime

NOW = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
ADMIN = Principal.cli(operator="tester")


def department(session) -> int:  # type: ignore[no-untyped-def]
    return session.scalars(select(Agency.id).where(Agency.kind == "department")).one()


def events(session, action: str) -> list[CustodyEvent]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(CustodyEvent).where(CustodyEvent.action == action)))


def test_create_user_and_roles_record_the_policy_hash(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        user = users.create_user(
            session,
            username="JSmith",
            display_name="Jo Smith",
            agency_id=department(session),
            roles=["supervisor"],
            password="a long enough passphrase",
            unit="Central Patrol",
            actor=ADMIN,
            now=NOW,
        )
        assert user.username == "jsmith"
        assert user.role_names == {"supervisor"}
        users.set_roles(session, user, ["supervisor", "records-custodian"], actor=ADMIN, now=NOW)
        assert user.role_names == {"supervisor", "records-custodian"}
        (event,) = events(session, "user.roles")
        assert event.actor == "cli:tester"
        assert event.object_type == "user" and event.object_id == str(user.id)
        assert event.details["policy_sha256"] == load_access_policy().sha256
        assert event.details["before"] == ["supervisor"]
        with pytest.raises(Conflict):
            users.create_user(
                session,
                username="jsmith",
                display_name="Other",
                agency_id=department(session),
                roles=[],
                actor=ADMIN,
            )


@pytest.mark.parametrize("role", ["captain", "system", "integration"])
def test_unknown_or_non_staff_roles_are_refused(runtime: Runtime, role: str) -> None:
    with runtime.db.session() as session, pytest.raises(InvalidInput):
        users.create_user(
            session,
            username="x1",
            display_name="X",
            agency_id=department(session),
            roles=[role],
            actor=ADMIN,
        )


def test_common_or_short_passwords_are_refused(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        for bad in ("short", "password1234", "jsmith-jsmith-jsmith"):
            with pytest.raises(InvalidInput):
                users.create_user(
                    session,
                    username="jsmith",
                    display_name="Jo Smith",
                    agency_id=department(session),
                    roles=["officer"],
                    password=bad,
                    actor=ADMIN,
                )


def test_disable_and_reset_mfa_end_sessions(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        user = users.create_user(
            session,
            username="ia1",
            display_name="IA One",
            agency_id=department(session),
            roles=["internal-affairs"],
            actor=ADMIN,
        )
        for i in range(2):
            session.add(AuthSession(token_sha256=f"{i}" * 64, user_id=user.id, csrf_token="c"))
        session.add(TotpCredential(user_id=user.id, secret="S" * 32, confirmed_at=NOW))
        session.flush()
        assert users.has_second_factor(session, user)
        assert users.reset_mfa(session, user, actor=ADMIN, now=NOW) == 2
        assert not users.has_second_factor(session, user)
        session.add(AuthSession(token_sha256="9" * 64, user_id=user.id, csrf_token="c"))
        session.flush()
        assert users.disable_user(session, user, actor=ADMIN, now=NOW) == 1
        assert user.disabled_at == NOW
        open_sessions = session.scalars(
            select(AuthSession).where(AuthSession.ended_at.is_(None))
        ).all()
        assert open_sessions == []
        assert [e.outcome for e in events(session, "user.disable")] == ["success"]

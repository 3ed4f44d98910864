"""Roles are tied to kinds of agency (the access policy's ``agency_kinds``): a department role
is never given to an outside agency's account (service, admin pages, command line, API
tokens), a move to an agency that may not hold a role is refused, and a role held anyway (a
row edited in the table, a policy narrowed since) grants nothing and says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.access import Permission, decide, may_ever, tokens, users
from sunlight.access.decide import ROLE_AGENCY_KIND
from sunlight.access.models import Agency, ApiToken, AuthSession, User, UserRole
from sunlight.access.policy import PACKAGED, load_access_policy
from sunlight.access.principal import Principal
from sunlight.access.sessions import principal_for
from sunlight.cli.main import cli
from sunlight.db.base import utcnow
from sunlight.errors import RoleNotAllowed
from sunlight.evidence.models import CustodyEvent
from sunlight.requests.reminders import custodian_addresses
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support import access_data as data
from tests.support.auth import make_session, sign_in, use_session
from tests.support.cli import cli_env

ADMIN = Principal.cli(operator="tester")

#: Where each role may be held, as the published policy says (and the docs explain).
HELD_IN = {
    "officer": {"department"},
    "supervisor": {"department"},
    "records-custodian": {"department"},
    "internal-affairs": {"department"},
    "administrator": {"department"},
    "outside-investigator": {"investigator"},
    "prosecutor": {"prosecutor"},
    "civilian-oversight": {"oversight"},
}
#: The seeded agencies (migration 0011) by kind.
SEEDED = {"department": "KCPD", "investigator": "MSHP", "prosecutor": "JCPO", "oversight": "OCC"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def agency(session: Session, short_name: str) -> Agency:
    return data.agencies(session)[short_name]


def agency_id(runtime: Runtime, short_name: str) -> int:
    with runtime.db.session(read_only=True) as session:
        return agency(session, short_name).id


def count(runtime: Runtime, model: Any) -> int:
    with runtime.db.session(read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def events(runtime: Runtime, *actions: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        query = select(CustodyEvent).where(CustodyEvent.action.in_(actions))
        return list(session.scalars(query.order_by(CustodyEvent.id)))


def load_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    assert user is not None
    return user


def snapshot(runtime: Runtime, user_id: int) -> tuple[int, str | None, list[str]]:
    """(agency, unit, roles) of a user, read afresh."""
    with runtime.db.session(read_only=True) as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.agency_id, user.unit, sorted(user.role_names)


def create(
    runtime: Runtime, username: str, short_name: str, *roles: str, email: str | None = None
) -> int:
    with runtime.db.session() as session:
        return users.create_user(
            session,
            username=username,
            display_name=username.title(),
            agency_id=agency(session, short_name).id,
            roles=list(roles),
            email=email,
            actor=ADMIN,
        ).id


def hand_edit_role(runtime: Runtime, user_id: int, role: str) -> None:
    """What someone with write access to the table does: a role row, no custody event."""
    with runtime.db.session() as session:
        session.add(UserRole(user_id=user_id, role=role, granted_by="db:hand-edit"))


def session_principal(runtime: Runtime, user_id: int) -> Principal:
    """The principal a signed-in session of the user acts as, read afresh."""
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        auth = AuthSession(token_sha256=f"{user_id:064x}", user_id=user_id, csrf_token="x")
        session.add(auth)
        session.flush()
        return principal_for(user, auth)


def run(rt: Runtime, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=cli_env(rt))
    return result.exit_code, result.stdout, result.stderr


# ---- the policy -------------------------------------------------------------------------


def test_the_published_policy_ties_every_role_to_its_kind_of_agency() -> None:
    policy = load_access_policy(PACKAGED).policy
    assert {r: set(policy.roles[r].agency_kinds) for r in HELD_IN} == HELD_IN
    assert users.roles_for_kind("department", policy) == [
        "officer",
        "supervisor",
        "records-custodian",
        "internal-affairs",
        "administrator",
    ]
    assert users.roles_for_kind("other", policy) == []
    # tokens and jobs act for the department; a share link belongs to no agency
    assert policy.roles["integration"].agency_kinds == ["department"]
    assert policy.roles["system"].agency_kinds == ["department"]
    assert policy.roles["share-recipient"].agency_kinds == []


# ---- giving a role ----------------------------------------------------------------------


@pytest.mark.parametrize("role", sorted(HELD_IN))
@pytest.mark.parametrize("kind", sorted(SEEDED))
def test_a_role_is_given_only_in_the_kinds_of_agency_it_may_be_held_in(
    runtime: Runtime, role: str, kind: str
) -> None:
    if kind in HELD_IN[role]:
        user_id = create(runtime, "held", SEEDED[kind], role)
        assert snapshot(runtime, user_id)[2] == [role]
        return
    with pytest.raises(RoleNotAllowed) as refused:
        create(runtime, "held", SEEDED[kind], role)
    assert refused.value.diagnostics["roles"] == [role]
    assert refused.value.diagnostics["agency_kind"] == kind
    assert f"{role} may not be held in {SEEDED[kind]}" in refused.value.message
    assert count(runtime, User) == 0
    assert events(runtime, "user.create") == []


def test_a_department_role_is_not_added_to_an_outside_investigator(runtime: Runtime) -> None:
    user_id = create(runtime, "trooper", "MSHP", "outside-investigator")
    before = snapshot(runtime, user_id)
    # the session commits after the refusal: the service changed nothing before refusing
    with runtime.db.session() as session:
        user = load_user(session, user_id)
        with pytest.raises(RoleNotAllowed) as refused:
            users.set_roles(
                session, user, ["outside-investigator", "records-custodian"], actor=ADMIN
            )
    assert "records-custodian may not be held in MSHP" in refused.value.message
    assert "may hold: outside-investigator" in refused.value.message
    assert snapshot(runtime, user_id) == before
    assert events(runtime, "user.roles") == []


def test_an_api_token_acts_only_for_the_department_or_no_agency(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        tokens.create_token(session, name="dock", actor=ADMIN, agency_id=agency(session, "KCPD").id)
        tokens.create_token(session, name="feed", actor=ADMIN)
    with runtime.db.session() as session, pytest.raises(RoleNotAllowed) as refused:
        tokens.create_token(
            session,
            name="their dock",
            permissions=["officer:manage"],
            actor=ADMIN,
            agency_id=agency(session, "MSHP").id,
        )
    assert "integration" in refused.value.message and "MSHP" in refused.value.message
    assert count(runtime, ApiToken) == 2
    assert len(events(runtime, "token.create")) == 2


# ---- moving a user ----------------------------------------------------------------------


def test_a_move_to_an_agency_that_may_not_hold_a_role_is_refused(runtime: Runtime) -> None:
    user_id = create(runtime, "hpruitt", "KCPD", "records-custodian", "supervisor")
    before = snapshot(runtime, user_id)
    with runtime.db.session() as session:
        user = load_user(session, user_id)
        with pytest.raises(RoleNotAllowed) as refused:
            users.move_user(session, user, agency(session, "MSHP"), actor=ADMIN)
    message = refused.value.message
    assert "hpruitt cannot move to MSHP" in message
    assert "records-custodian, supervisor" in message
    assert refused.value.diagnostics["roles"] == ["records-custodian", "supervisor"]
    # nor with a department role among the roles given for the new agency
    with runtime.db.session() as session:
        user = load_user(session, user_id)
        with pytest.raises(RoleNotAllowed):
            users.move_user(
                session,
                user,
                agency(session, "MSHP"),
                roles=["outside-investigator", "records-custodian"],
                actor=ADMIN,
            )
    assert snapshot(runtime, user_id) == before
    assert events(runtime, "user.agency") == []


def test_a_move_with_the_roles_held_there_is_recorded(runtime: Runtime) -> None:
    user_id = create(runtime, "hpruitt", "KCPD", "records-custodian")
    mshp = agency_id(runtime, "MSHP")
    with runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        users.move_user(
            session,
            user,
            agency(session, "MSHP"),
            roles=["outside-investigator"],
            unit="Troop A",
            actor=ADMIN,
        )
    assert snapshot(runtime, user_id) == (mshp, "Troop A", ["outside-investigator"])
    (event,) = events(runtime, "user.agency")
    assert event.actor == ADMIN.id and event.object_id == str(user_id)
    assert event.details["agency_before"] == agency_id(runtime, "KCPD")
    assert event.details["agency_id"] == mshp
    assert event.details["before"] == ["records-custodian"]
    assert event.details["after"] == ["outside-investigator"]
    assert event.details["policy_sha256"] == load_access_policy().sha256
    principal = session_principal(runtime, user_id)
    assert principal.agency_kind == "investigator"
    assert not may_ever(principal, Permission.REQUEST_VIEW)


# ---- a role held anyway grants nothing --------------------------------------------------


def test_a_hand_edited_role_row_grants_nothing(runtime: Runtime) -> None:
    user_id = create(runtime, "trooper", "MSHP", "outside-investigator", email="t@mshp.example")
    create(runtime, "custodian", "KCPD", "records-custodian", email="c@kcpd.example")
    hand_edit_role(runtime, user_id, "records-custodian")
    principal = session_principal(runtime, user_id)
    assert "records-custodian" in principal.roles
    for permission in (Permission.REQUEST_VIEW, Permission.AUDIT_VIEW, Permission.INCIDENT_IMPORT):
        assert not may_ever(principal, permission), permission
    refused = decide(None, principal, Permission.AUDIT_VIEW, now=utcnow())
    assert not refused.allowed
    assert refused.rule == ROLE_AGENCY_KIND
    assert "records-custodian" in refused.reason and "'investigator'" in refused.reason
    # footage: a recording of no incident is out of the investigator's scope, as before
    with runtime.db.session() as session:
        recording = data.add_recording(session, officer_id=None)
    with runtime.db.session(read_only=True) as session:
        seen = decide(
            session, principal, Permission.RECORDING_STREAM, recording, now=utcnow(), reason="x"
        )
    assert (seen.allowed, seen.rule, seen.in_scope) == (False, ROLE_AGENCY_KIND, False)
    # the role the agency may hold still works
    assert may_ever(principal, Permission.POLICY_VIEW)
    assert decide(None, principal, Permission.POLICY_VIEW, now=utcnow()).allowed
    # and the department's reminders of requesters' clocks never go to the trooper
    with runtime.db.session(read_only=True) as session:
        assert custodian_addresses(session) == ["c@kcpd.example"]


def test_a_hand_edited_role_is_refused_on_the_web_and_the_refusal_recorded(
    client: TestClient, runtime: Runtime
) -> None:
    signed = make_session(runtime, roles=("outside-investigator",), agency_kind="investigator")
    hand_edit_role(runtime, signed.user_id, "records-custodian")
    use_session(client, signed)
    response = client.get("/api/outbox")
    assert response.status_code == 403
    assert "records-custodian may not be held" in response.text
    (event,) = events(runtime, "access.denied")
    assert event.actor == f"user:{signed.user_id}"
    assert event.details["permission"] == "request:view"
    assert "records-custodian" in event.details["explanation"]
    assert client.get("/api/policies/access").status_code == 200  # its own role still counts


def test_a_narrowed_policy_takes_the_role_away_and_the_tooling_lists_who_holds_it(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = create(runtime, "tlind", "KCPD", "supervisor")
    create(runtime, "howard", "KCPD", "records-custodian")
    code, out, _ = run(runtime, "users", "check-roles")
    assert code == 0 and "every role is held" in out
    document = yaml.safe_load(PACKAGED.read_text())
    document["roles"]["supervisor"]["agency_kinds"] = ["investigator"]
    narrowed = tmp_path / "access-policy.yaml"
    narrowed.write_text(yaml.safe_dump(document, sort_keys=False))
    monkeypatch.setenv("SUNLIGHT_ACCESS_POLICY", str(narrowed))
    principal = session_principal(runtime, supervisor)
    assert not may_ever(principal, Permission.COMPLIANCE_REVIEW)
    assert (
        decide(None, principal, Permission.COMPLIANCE_REVIEW, now=utcnow()).rule == ROLE_AGENCY_KIND
    )
    with runtime.db.session(read_only=True) as session:
        listed = [(u.username, roles) for u, roles in users.misplaced_roles(session)]
    assert listed == [("tlind", ["supervisor"])]
    code, out, _ = run(runtime, "users", "check-roles", "--json")
    assert code == 1
    (found,) = json.loads(out)
    assert found["username"] == "tlind" and found["roles"] == ["supervisor"]
    assert found["agency"] == "KCPD" and found["agency_kind"] == "department"


# ---- the admin pages --------------------------------------------------------------------


def test_admin_pages_refuse_department_roles_for_outsiders(
    client: TestClient, runtime: Runtime
) -> None:
    sign_in(client, runtime, ("administrator",))
    mshp = agency_id(runtime, "MSHP")
    page = client.post(
        "/admin/users",
        data={
            "username": "mole",
            "display_name": "Mole",
            "agency_id": str(mshp),
            "role": ["records-custodian"],
        },
    )
    assert page.status_code == 422
    assert "records-custodian may not be held in MSHP" in page.text
    with runtime.db.session(read_only=True) as session:
        assert session.scalar(select(User).where(User.username == "mole")) is None

    trooper = create(runtime, "trooper", "MSHP", "outside-investigator")
    before = snapshot(runtime, trooper)
    response = client.post(
        f"/admin/users/{trooper}/roles",
        data={"role": ["outside-investigator", "records-custodian"]},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert "records-custodian may not be held in MSHP" in response.text
    assert snapshot(runtime, trooper) == before
    assert events(runtime, "user.roles") == []


def test_admin_pages_move_a_user_only_with_roles_the_agency_may_hold(
    client: TestClient, runtime: Runtime
) -> None:
    admin = sign_in(client, runtime, ("administrator",))
    custodian = create(runtime, "howard", "KCPD", "records-custodian")
    mshp = agency_id(runtime, "MSHP")
    before = snapshot(runtime, custodian)
    page = client.get(f"/admin/users/{custodian}")
    assert page.status_code == 200 and f'action="/admin/users/{custodian}/agency"' in page.text
    refused = client.post(
        f"/admin/users/{custodian}/agency", data={"agency_id": str(mshp)}, follow_redirects=False
    )
    assert refused.status_code == 422
    assert "howard cannot move to MSHP" in refused.text and "records-custodian" in refused.text
    assert snapshot(runtime, custodian) == before
    moved = client.post(
        f"/admin/users/{custodian}/agency",
        data={"agency_id": str(mshp), "role": "outside-investigator"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert snapshot(runtime, custodian) == (mshp, None, ["outside-investigator"])
    assert [e.actor for e in events(runtime, "user.agency")] == [admin.id]
    # an administrator does not move their own account
    assert admin.user_id is not None
    assert (
        client.post(
            f"/admin/users/{admin.user_id}/agency", data={"agency_id": str(mshp)}
        ).status_code
        == 409
    )


def test_the_admin_page_warns_of_a_role_held_out_of_place(
    client: TestClient, runtime: Runtime
) -> None:
    sign_in(client, runtime, ("administrator",))
    trooper = create(runtime, "trooper", "MSHP", "outside-investigator")
    assert "may not hold under the access policy" not in client.get(f"/admin/users/{trooper}").text
    hand_edit_role(runtime, trooper, "records-custodian")
    page = client.get(f"/admin/users/{trooper}").text
    assert "Holds records-custodian, which an agency of kind investigator may not hold" in page


# ---- the command line -------------------------------------------------------------------


def test_the_command_line_refuses_department_roles_for_outsiders(runtime: Runtime) -> None:
    code, out, err = run(
        runtime, "users", "create", "mole", "--name", "Mole", "--agency", "MSHP",
        "--role", "records-custodian",
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "records-custodian may not be held in MSHP" in err
    assert count(runtime, User) == 0

    trooper = create(runtime, "trooper", "MSHP", "outside-investigator")
    before = snapshot(runtime, trooper)
    code, out, err = run(runtime, "users", "roles", "trooper", "--add", "records-custodian")
    assert code == 1 and "records-custodian may not be held in MSHP" in err
    assert snapshot(runtime, trooper) == before

    custodian = create(runtime, "howard", "KCPD", "records-custodian")
    code, out, err = run(runtime, "users", "move", "howard", "--agency", "MSHP")
    assert code == 1 and "howard cannot move to MSHP" in err and "records-custodian" in err
    assert snapshot(runtime, custodian)[0] == agency_id(runtime, "KCPD")
    code, out, err = run(
        runtime, "users", "move", "howard", "--agency", "MSHP", "--role", "outside-investigator",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    moved = json.loads(out)
    assert moved["agency"] == "MSHP" and moved["agency_before"] == "KCPD"
    assert moved["roles"] == ["outside-investigator"]

    code, out, err = run(runtime, "tokens", "create", "--name", "their dock", "--agency", "MSHP")
    assert code == 1 and "integration" in err
    assert count(runtime, ApiToken) == 0

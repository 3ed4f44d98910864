"""A hostile insider's attempts, each refused AND recorded: a clerk confirming the court
order they recorded themselves, an officer listing records requests, a clerk releasing a
case the Missouri Highway Patrol holds release authority over without a court order."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access.models import User
from sunlight.access.users import set_roles
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.release.support import make_inactive, scenario
from tests.support.auth import make_session, sign_in, sign_out, use_session


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def refusals(runtime: Runtime, actor: str, permission: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        events = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.actor == actor,
                CustodyEvent.action == "access.denied",
                CustodyEvent.outcome == "denied",
            )
        ).all()
    return [e for e in events if e.details.get("permission") == permission]


def _ready_case(client: TestClient, runtime: Runtime, base: str, derived_id: int) -> int:
    assert client.post(base).status_code == 201
    case = client.post(f"{base}/candidates", json={"recording_id": derived_id}).json()
    cid: int = case["candidates"][0]["id"]
    reviewed = client.post(f"{base}/candidates/{cid}/review", json={"plan_version": 2})
    assert reviewed.status_code == 200, reviewed.text
    assert client.post(f"{base}/state", json={"to": "ready"}).json()["state"] == "ready"
    return cid


def test_a_clerk_cannot_release_a_patrol_held_case_alone(
    runtime: Runtime, client: TestClient
) -> None:
    s = scenario(runtime, cad="KC26-000661")
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    clerk = sign_in(client, runtime, roles=("records-custodian",))
    cid = _ready_case(client, runtime, base, s.derived_id)

    # 1. release it directly: the Patrol holds release authority
    direct = client.post(f"{base}/decision", json={"action": "release", "candidate_ids": [cid]})
    assert direct.status_code == 403
    [denied] = refusals(runtime, clerk.id, "release:decide")
    assert (denied.object_type, denied.object_id) == ("incident", str(s.incident_id))

    # 2. invent a court order and confirm it themselves
    petition = client.post(
        f"{base}/petitions",
        json={
            "court": "16th Judicial Circuit",
            "case_number": "2616-CV07777",
            "petitioner": "A friend",
            "filed_on": "2026-06-01",
        },
    ).json()["petitions"][0]
    recorded = client.post(
        f"{base}/petitions/{petition['id']}/orders",
        json={"outcome": "release", "ordered_on": "2026-06-02", "candidate_ids": [cid]},
    ).json()
    order = recorded["petitions"][0]["orders"][0]
    assert recorded["state"] == "ready" and recorded["releases"] == []
    alone = client.post(f"{base}/orders/{order['id']}/confirm")
    assert alone.status_code == 403, alone.text
    [refused] = refusals(runtime, clerk.id, "release:court-confirm")
    assert refused.details["order_id"] == order["id"]
    assert client.get(base).json()["releases"] == []  # nothing was published

    # 3. a colleague without release:court-confirm cannot confirm it either
    sign_out(client)
    officer = sign_in(client, runtime, roles=("officer",))
    assert client.post(f"{base}/orders/{order['id']}/confirm").status_code in (403, 404)
    assert refusals(runtime, officer.id, "release:court-confirm")


def test_an_officer_listing_requests_is_refused_and_recorded(
    runtime: Runtime, client: TestClient
) -> None:
    officer = sign_in(client, runtime, roles=("officer",))
    for _ in range(3):
        assert client.get("/api/requests").status_code == 403
    [event] = refusals(runtime, officer.id, "request:view")
    assert (event.object_type, event.object_id) == ("route", "GET /api/requests")


def test_a_second_account_made_by_the_recorder_cannot_confirm(
    runtime: Runtime, client: TestClient
) -> None:
    """The two-person rule counts people, not accounts: a custodian who set up a second
    account's roles (their own alias, or someone beholden to them) cannot have it confirm
    the order they recorded."""
    s = scenario(runtime, cad="KC26-000663")
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    # the alias, set up first; the clerk then gives it the confirming role
    alias = make_session(runtime, roles=("officer",))
    clerk = sign_in(client, runtime, roles=("records-custodian",))
    with runtime.db.session() as session:
        user = session.get(User, alias.user_id)
        assert user is not None
        set_roles(session, user, ["records-custodian"], actor=clerk.id)
    cid = _ready_case(client, runtime, base, s.derived_id)
    petition = client.post(
        f"{base}/petitions",
        json={
            "court": "16th Judicial Circuit",
            "case_number": "2616-CV07778",
            "petitioner": "A friend",
            "filed_on": "2026-06-01",
        },
    ).json()["petitions"][0]
    recorded = client.post(
        f"{base}/petitions/{petition['id']}/orders",
        json={"outcome": "release", "ordered_on": "2026-06-02", "candidate_ids": [cid]},
    ).json()
    order = recorded["petitions"][0]["orders"][0]
    sign_out(client)
    use_session(client, alias)
    answer = client.post(f"{base}/orders/{order['id']}/confirm")
    assert answer.status_code == 403, answer.text
    assert "independent" in answer.text
    assert refusals(runtime, alias.principal.id, "release:court-confirm")
    assert client.get(base).json()["releases"] == []  # nothing was published

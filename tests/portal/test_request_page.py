"""A records request's public page (`/public/requests/{tracking_number}`) and its JSON: the
status, the clock with its arithmetic, each step in standard words and the footage released
for it, and never the requester's identity or words, nor a message sent to them (the
question asked in a clarification names a person here, and must not appear)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from sunlight.access import Principal
from sunlight.requests import service
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.release.support import person
from tests.requests.support import MONDAY, file

SECRETS = (
    "Jordan Example",
    "jordan@example.org",
    "5th and Main",  # the request's own words
    "Lee Whitfield",  # named in the clarification question
    "staff only: cousin",  # a staff note
)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _custodian(runtime: Runtime) -> Principal:
    return person(runtime, 1, "records-custodian")


def test_a_request_page_shows_status_clock_and_steps_but_no_one(
    runtime: Runtime, client: TestClient
) -> None:
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        request = service.get(session, request_id)
        number = request.tracking_number
        service.transition(
            session,
            request,
            Status.CLARIFICATION_REQUESTED,
            actor="user:1",
            now=MONDAY + timedelta(hours=2),
            message="Do you mean the stop where Lee Whitfield was searched?",
            staff_note="staff only: cousin of the officer",
        )
    page = client.get(f"/public/requests/{number}")
    assert page.status_code == 200, page.text
    html = page.text
    assert number in html and "clarification requested" in html
    assert "waiting for the requester&#39;s clarification" in html or (
        "waiting for the requester's clarification" in html
    )
    for secret in SECRETS:
        assert secret not in html, secret
    data = client.get(f"/api/public/requests/{number}")
    assert data.status_code == 200
    body = data.json()
    assert body["tracking_number"] == number and body["status"] == "clarification-requested"
    assert [s["kind"] for s in body["steps"]] == ["received", "status"]
    assert body["steps"][1]["status"] == "clarification-requested"
    assert body["clocks"] and body["clocks"][0]["state"] == "paused"
    pauses = body["clocks"][0]["arithmetic"]["pauses"]
    assert [p["reason"] for p in pauses] == ["waiting for the requester's clarification"]
    for secret in SECRETS:
        assert secret not in data.text, secret
    # the log links each request to its page
    assert f'href="/public/requests/{number}"' in client.get("/public/requests").text


def test_a_denial_shows_its_provision_and_not_its_words(
    runtime: Runtime, client: TestClient
) -> None:
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        request = service.get(session, request_id)
        number = request.tracking_number
        service.transition(
            session,
            request,
            Status.DENIED,
            actor="user:1",
            now=MONDAY + timedelta(hours=3),
            provision="RSMo 610.100.2(1)",
            message="Lee Whitfield is a suspect in an active investigation.",
        )
    html = client.get(f"/public/requests/{number}").text
    assert "RSMo 610.100.2(1)" in html and "Lee Whitfield" not in html
    body = client.get(f"/api/public/requests/{number}").json()
    assert body["denial_provision"] == "RSMo 610.100.2(1)" and body["clocks"] == []
    assert "Lee Whitfield" not in str(body)


def test_released_footage_that_answers_the_request_is_linked(
    runtime: Runtime, client: TestClient
) -> None:
    released = decide(runtime, client, cad="KC26-044001")
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        request = service.get(session, request_id)
        number = request.tracking_number
        service.add_item(
            session,
            request,
            principal=_custodian(runtime),
            why="the shooting the request names",
            now=MONDAY + timedelta(hours=1),
            incident_id=released.incident_id,
        )
    body = client.get(f"/api/public/requests/{number}").json()
    assert [r["id"] for r in body["releases"]] == [released.release_id]
    assert [s["kind"] for s in body["steps"]] == ["received", "item-linked"]
    html = client.get(f"/public/requests/{number}").text
    assert f'href="/public/releases/{released.release_id}"' in html
    assert "the shooting the request names" not in html  # staff's words stay private


def test_unknown_and_malformed_tracking_numbers(client: TestClient) -> None:
    assert client.get("/public/requests/R-2026-999999").status_code == 404
    assert client.get("/api/public/requests/R-2026-999999").status_code == 404
    assert client.get("/public/requests/R-26-1").status_code == 422
    assert client.get("/api/public/requests/..%2Fetc").status_code in (404, 422)
    # the request form's address is not taken for a tracking number
    assert client.get("/public/requests/new").status_code == 200


def test_a_verified_relationship_is_not_shown(runtime: Runtime, client: TestClient) -> None:
    """A requester depicted in the footage (or their family, attorney or insurer) is "public"
    in the log; the public page must not then say their relationship was verified, which only
    ever happens for them (RSMo 610.100.3): next to the footage it points at a victim."""
    request_id, _ = file(runtime, requester_type="relative")
    with runtime.db.session() as session:
        request = service.get(session, request_id)
        number = request.tracking_number
        service.verify(
            session,
            request,
            actor="user:1",
            document_type="driver-licence",
            relation="relative",
            depicted_person="Lee Whitfield",
            notes=None,
            now=MONDAY + timedelta(hours=1),
        )
    body = client.get(f"/api/public/requests/{number}").json()
    assert body["requester_category"] == "public"
    assert [s["kind"] for s in body["steps"]] == ["received"]
    html = client.get(f"/public/requests/{number}").text
    assert "relationship" not in html.lower() and "Lee Whitfield" not in html
    es = client.get(f"/public/requests/{number}?lang=es").text
    assert "verific" not in es.lower()

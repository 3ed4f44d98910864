"""Records requests over HTTP: public intake (JSON and form), the private page, the public
log, staff routes and their permissions, depicted persons' copies (both back ends)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.requests.support import MONDAY
from tests.support.auth import sign_in, sign_out
from tests.support.evidence_data import add_recording

BODY = {
    "name": "Jordan Example",
    "email": "jordan@example.org",
    "phone": "816-555-0100",
    "requester_type": "public",
    "description": "Body camera video of the stop at 5th and Main.",
    "date_from": "2026-12-01",
    "date_to": "2026-12-01",
    "location": "5th and Main",
}
PRIVATE = ("Jordan", "jordan@example.org", "816-555-0100", "5th and Main", "stop at 5th")


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: MONDAY
    with TestClient(app) as client:
        yield client


def _count(runtime: Runtime) -> int:
    with runtime.db.session(read_only=True) as session:
        return session.scalar(select(func.count()).select_from(RecordsRequest)) or 0


def test_public_json_intake_track_and_log(app_client: TestClient, runtime: Runtime) -> None:
    created = app_client.post("/api/public/requests", json=BODY)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["tracking_number"] == "R-2026-000001"
    assert body["received_date"] == "2026-12-07" and body["due"] == "2026-12-10"
    track = app_client.get(body["private_api"])
    assert track.status_code == 200
    assert "no-store" in track.headers["cache-control"]
    assert track.headers["referrer-policy"] == "no-referrer"
    view = track.json()
    assert view["requester_name"] == "Jordan Example" and view["status"] == "received"
    (response_clock,) = view["clocks"]
    assert response_clock["due"] == "2026-12-10"
    assert response_clock["arithmetic"]["counted"] == ["2026-12-08", "2026-12-09", "2026-12-10"]
    assert view["timeline"][0]["text"].startswith("Request received on 2026-12-07")
    page = app_client.get(body["private_link"])
    assert page.status_code == 200 and "R-2026-000001" in page.text
    # the public log: no identity, no words of the request
    log = app_client.get("/api/public/requests")
    assert log.status_code == 200
    (entry,) = log.json()
    assert set(entry) == {
        "tracking_number",
        "received_date",
        "requester_category",
        "status",
        "due",
        "due_state",
    }
    assert not any(p in log.text for p in PRIVATE)
    # a wrong token answers 404, like a missing one
    token = body["private_api"].rsplit("/", 1)[1]
    wrong = token[:-2] + ("xx" if not token.endswith("xx") else "yy")
    assert app_client.get(f"/api/public/requests/track/{wrong}").status_code == 404
    assert app_client.get(f"/public/requests/track/{wrong}").status_code == 404
    assert app_client.get("/api/public/requests/track/short").status_code == 422


@pytest.mark.parametrize(
    "change",
    [
        {"email": "nope"},
        {"requester_type": "sheriff"},
        {"description": ""},
        {"name": "x" * 201},
        {"date_from": "2026-12-02", "date_to": "2026-12-01"},
        {"extra": "field"},
    ],
)
def test_public_json_bad_input_is_422(
    app_client: TestClient, runtime: Runtime, change: dict[str, str]
) -> None:
    answer = app_client.post("/api/public/requests", json={**BODY, **change})
    assert answer.status_code == 422, answer.text
    assert _count(runtime) == 0


def test_public_form_keeps_what_was_typed(app_client: TestClient, runtime: Runtime) -> None:
    form = {**BODY, "email": "not-an-email"}
    answer = app_client.post("/public/requests/new", data=form)
    assert answer.status_code == 422
    assert "stop at 5th and Main" in answer.text and 'value="Jordan Example"' in answer.text
    assert _count(runtime) == 0
    assert app_client.get("/public/requests/new").status_code == 200
    done = app_client.post("/public/requests/new", data={**BODY, "phone": ""})
    assert done.status_code == 200, done.text
    assert "R-2026-000001" in done.text and "/public/requests/track/" in done.text
    assert _count(runtime) == 1


def test_public_intake_is_rate_limited(app_client: TestClient) -> None:
    from sunlight.requests.web_common import RateLimit

    app_client.app.state.requests_rate_limit = RateLimit(2, 3600)  # type: ignore[attr-defined]
    codes = [app_client.post("/api/public/requests", json=BODY).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


def test_a_resident_who_mistypes_is_not_locked_out(
    app_client: TestClient, runtime: Runtime
) -> None:
    """A filing that fails validation (422, nothing filed) gives its slot back, on the
    JSON API and the form; a flood of them still meets the attempts ceiling."""
    from sunlight.requests.web_common import RateLimit

    app_client.app.state.requests_rate_limit = RateLimit(2, 3600, attempts=8)  # type: ignore[attr-defined]
    bad = {**BODY, "email": "not an address"}
    for _ in range(3):
        assert app_client.post("/api/public/requests", json=bad).status_code == 422
        page = app_client.post("/public/requests/new", data={**bad, "phone": ""})
        assert page.status_code == 422
    assert _count(runtime) == 0
    codes = [app_client.post("/api/public/requests", json=BODY).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    assert _count(runtime) == 2


def test_a_flood_of_refused_filings_is_still_limited(app_client: TestClient) -> None:
    from sunlight.requests.web_common import RateLimit

    app_client.app.state.requests_rate_limit = RateLimit(2, 3600, attempts=5)  # type: ignore[attr-defined]
    codes = [app_client.post("/api/public/requests", json={}).status_code for _ in range(6)]
    assert codes == [422] * 5 + [429]
    assert app_client.post("/api/public/requests", json=BODY).status_code == 429


STAFF_GETS = ["/api/requests", "/api/requests/1", "/requests", "/api/requests/1/items"]
STAFF_POSTS: list[tuple[str, dict[str, object]]] = [
    ("/api/requests/1/transition", {"to": "acknowledged"}),
    (
        "/api/requests/bulk-extend",
        {"request_ids": [1], "explanation": "x" * 30, "available_at": "2026-12-20T10:00:00-06:00"},
    ),
    ("/api/requests/1/items", {"recording_id": 1, "why": "x"}),
    ("/api/requests/1/deliver", {"recording_id": 1, "basis": "open-record"}),
]


def test_staff_routes_need_sign_in_and_permission(app_client: TestClient, runtime: Runtime) -> None:
    app_client.post("/api/public/requests", json=BODY)
    for path in STAFF_GETS:
        assert app_client.get(path).status_code == 401, path
    for path, body in STAFF_POSTS:
        assert app_client.post(path, json=body).status_code == 401, path
    assert (
        app_client.post(
            "/api/requests/1/verify",
            json={"document_type": "state-id", "relation": "self", "depicted_person": "X"},
        ).status_code
        == 401
    )
    sign_in(app_client, runtime, roles=("officer",), now=MONDAY)
    for path in STAFF_GETS:
        assert app_client.get(path).status_code == 403, path
    for path, body in STAFF_POSTS:
        assert app_client.post(path, json=body).status_code == 403, path
    sign_out(app_client)
    sign_in(app_client, runtime, roles=("internal-affairs",), now=MONDAY)  # request:view only
    assert app_client.get("/api/requests").status_code == 200
    assert app_client.get("/api/requests/1").status_code == 200
    for path, body in STAFF_POSTS:
        assert app_client.post(path, json=body).status_code == 403, path


def test_staff_workflow(app_client: TestClient, runtime: Runtime) -> None:
    token = app_client.post("/api/public/requests", json=BODY).json()["private_api"]
    app_client.post("/api/public/requests", json={**BODY, "requester_type": "media"})
    sign_in(app_client, runtime, roles=("records-custodian",), now=MONDAY)
    queue = app_client.get("/api/requests").json()
    assert [q["tracking_number"] for q in queue] == ["R-2026-000001", "R-2026-000002"]
    assert queue[0]["clock"]["due"] == "2026-12-10"
    naive = app_client.post(
        "/api/requests/2/transition",
        json={
            "to": "delayed",
            "message": "Footage must be reviewed for exempt material first.",
            "available_at": "2026-12-18T10:00:00",
        },
    )
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]
    refused = app_client.post("/api/requests/1/transition", json={"to": "delayed"})
    assert refused.status_code == 422 and "explanation" in refused.json()["detail"]
    denied = app_client.post("/api/requests/1/transition", json={"to": "denied", "message": "no"})
    assert denied.status_code == 422 and "provision" in denied.json()["detail"]
    ok = app_client.post(
        "/api/requests/1/transition",
        json={"to": "denied", "message": "Active investigation.", "provision": "RSMo 610.100.2(1)"},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "denied"
    again = app_client.post("/api/requests/1/transition", json={"to": "fulfilled"})
    assert again.status_code == 422
    assert again.json()["detail"] == "a denied request can be reopened, not fulfilled"
    extended = app_client.post(
        "/api/requests/bulk-extend",
        json={
            "request_ids": [2],
            "explanation": "Footage must be reviewed for exempt material first.",
            "available_at": "2026-12-18T10:00:00-06:00",
        },
    )
    assert extended.status_code == 200, extended.text
    assert extended.json()[0]["status"] == "delayed"
    # the requester asks for written grounds from the private page
    grounds = app_client.post(token + "/grounds")
    assert grounds.status_code == 200
    assert [c["kind"] for c in grounds.json()["clocks"]] == ["grounds"]
    detail = app_client.get("/api/requests/1").json()
    assert detail["requester_email"] == "jordan@example.org"
    assert [e["kind"] for e in detail["timeline"]].count("email") >= 2
    # every message is in the durable outbox under the request's topic
    subjects = [m["subject"] for m in detail["emails"]]
    assert subjects[0] == "[R-2026-000001] Your records request was received"
    assert all(
        m["status"] == "queued" and m["to"] == "jordan@example.org" for m in detail["emails"]
    )
    assert len(subjects) == [e["kind"] for e in detail["timeline"]].count("email")
    page = app_client.get("/requests/1")
    assert page.status_code == 200 and "RSMo 610.100.2(1)" in page.text
    assert app_client.get("/requests").status_code == 200
    form = app_client.post(
        "/requests/2/transition",
        data={"to": "in-progress", "message": "", "available_at": "", "provision": ""},
        follow_redirects=False,
    )
    assert form.status_code == 303


def test_depicted_person_copy(app_client: TestClient, runtime: Runtime) -> None:
    created = app_client.post(
        "/api/public/requests", json={**BODY, "requester_type": "depicted"}
    ).json()
    token = created["private_api"].rsplit("/", 1)[1]
    rec = add_recording(runtime, recorded_at=datetime.fromisoformat("2026-12-01T18:00:00+00:00"))
    sign_in(app_client, runtime, roles=("records-custodian",), now=MONDAY)
    candidates = app_client.get("/api/requests/1/candidates").json()
    assert [r["id"] for r in candidates["recordings"]] == [rec]
    linked = app_client.post(
        "/api/requests/1/items",
        json={"recording_id": rec, "why": "the requester's home", "nonpublic_location": True},
    )
    assert linked.status_code == 201, linked.text
    early = app_client.post(
        "/api/requests/1/deliver",
        json={"recording_id": rec, "basis": "610.100.3"},
        headers={"Sunlight-Reason": "records-request: R-2026-000001"},
    )
    assert early.status_code == 403 and "verify" in early.json()["detail"]
    verified = app_client.post(
        "/api/requests/1/verify",
        json={"document_type": "driver-licence", "relation": "self", "depicted_person": "Jordan"},
    )
    assert verified.status_code == 201, verified.text
    delivered = app_client.post(
        "/api/requests/1/deliver",
        json={"recording_id": rec, "basis": "610.100.3"},
        headers={"Sunlight-Reason": "records-request: R-2026-000001"},
    )
    assert delivered.status_code == 201, delivered.text
    assert delivered.json()["delivery"]["notice"].startswith("This recording was made")
    sign_out(app_client)
    view = app_client.get(f"/api/public/requests/track/{token}").json()
    (delivery,) = view["deliveries"]
    assert "10 days' notice" in delivery["notice"]
    got = app_client.get(delivery["download"])
    assert got.status_code == 200 and got.content.startswith(b"recording ")
    ranged = app_client.get(delivery["download"], headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and ranged.content == b"reco"
    ack = app_client.post(
        f"/public/requests/track/{token}/deliveries/{delivery['id']}/acknowledge",
        follow_redirects=False,
    )
    assert ack.status_code == 303
    view = app_client.get(f"/api/public/requests/track/{token}").json()
    assert view["deliveries"][0]["acknowledged_at"] is not None
    app_client.app.state.clock = lambda: MONDAY + timedelta(days=90)  # type: ignore[attr-defined]
    assert app_client.get(delivery["download"]).status_code == 404


def test_staff_forms(app_client: TestClient, runtime: Runtime) -> None:
    link = app_client.post("/api/public/requests", json=BODY).json()["private_link"]
    sign_in(app_client, runtime, roles=("records-custodian",), now=MONDAY)
    rec = add_recording(runtime, recorded_at=datetime.fromisoformat("2026-12-01T18:00:00+00:00"))

    def post(path: str, data: dict[str, object]) -> int:
        return app_client.post(path, data=data, follow_redirects=False).status_code

    fee = {"search_hours": "1", "review_hours": "4", "recordings": "1", "prepayment": "1"}
    assert post("/requests/1/fees", fee) == 303
    assert post("/requests/1/prepayment", {"note": "cheque 1001"}) == 303
    assert post("/requests/1/items", {"recording_id": str(rec), "why": "the stop"}) == 303
    delay = {
        "to": "delayed",
        "message": "Footage must be reviewed for exempt material first.",
        "available_at": "2026-12-18T10:00",
    }
    assert post("/requests/1/transition", delay) == 303
    deny = {
        "to": "partially-fulfilled",
        "message": "Faces of bystanders withheld.",
        "provision": "RSMo 610.024",
    }
    assert post("/requests/1/transition", deny) == 303
    assert post("/requests/1/grounds", {"asked": "1"}) == 303
    grounds = {"text": "Bystanders' faces are exempt and separated out under RSMo 610.024."}
    assert post("/requests/1/grounds", grounds) == 303
    detail = app_client.get("/api/requests/1").json()
    assert detail["status"] == "partially-fulfilled"
    assert detail["fee_estimate_cents"] == 12000 and detail["prepayment_received_at"]
    assert detail["grounds_given_at"] is not None
    delayed = [e for e in detail["timeline"] if e["details"].get("to") == "delayed"]
    # a datetime-local field is Kansas City time
    assert delayed[0]["details"]["available_at"] == "2026-12-18T10:00:00-06:00"
    page = app_client.get("/requests/1")
    assert page.status_code == 200 and "$120.00" in page.text
    mine = app_client.get(link)
    assert mine.status_code == 200 and "$120.00" in mine.text
    assert "RSMo 610.024" in mine.text and "Bystanders" in mine.text
    bulk = app_client.post(
        "/requests/bulk-extend",
        data={"request_ids": ["1"], "explanation": "x" * 30, "available_at": "2026-12-20T10:00"},
        follow_redirects=False,
    )
    assert bulk.status_code == 422  # a partially fulfilled request cannot be delayed
    assert "R-2026-000001" in bulk.text


def test_public_log_never_names_a_tie_to_a_person_in_the_footage(app_client: TestClient) -> None:
    # A "relative" (of someone deceased or incompetent) next to a dated request points at a
    # victim's family: the log shows every such category as "public"; media stays media.
    for kind in ("relative", "depicted", "guardian", "attorney", "insurer", "media", "public"):
        filed = app_client.post("/api/public/requests", json={**BODY, "requester_type": kind})
        assert filed.status_code == 201, filed.text
    shown = [e["requester_category"] for e in app_client.get("/api/public/requests").json()]
    assert sorted(shown) == ["media"] + ["public"] * 6

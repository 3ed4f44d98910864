"""Release on the web: only the authority's accounts decide (a refusal is a recorded
denial), staff pages and JSON, the published policy, and the public list and proof bundle
(verifies offline with pinned keys, carries no private field)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.ledger import checkpoints, log_identity
from sunlight.ledger.bundle import check_bundle
from sunlight.ledger.verify import VerificationError
from sunlight.release.models import ReleaseCandidate
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.release.support import make_inactive, scenario
from tests.support.auth import sign_in, sign_in_outside, sign_out

PRIVATE = {"disclosure", "salt", "actor", "reason", "details", "private_fields"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _keys(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield key
            yield from _keys(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _keys(item)


def _strings(doc: Any) -> Iterator[str]:
    if isinstance(doc, dict):
        for value in doc.values():
            yield from _strings(value)
    elif isinstance(doc, list):
        for item in doc:
            yield from _strings(item)
    elif isinstance(doc, str):
        yield doc


def test_the_patrol_decides_the_department_prepares(runtime: Runtime, client: TestClient) -> None:
    s = scenario(runtime)
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    custodian = sign_in(client, runtime, roles=("records-custodian",))
    assert client.post(base).status_code == 201
    case = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()
    candidate = case["candidates"][0]
    assert candidate["plan_version"] == 2 and candidate["provenance"]["c2pa"]["signed"] is True
    reviewed = client.post(
        f"{base}/candidates/{candidate['id']}/review", json={"plan_version": 2, "note": "ok"}
    )
    assert reviewed.status_code == 200, reviewed.text
    ready = client.post(f"{base}/state", json={"to": "ready"}).json()
    assert ready["state"] == "ready" and ready["clock"]["authority"] == "Missouri Highway Patrol"
    assert ready["clock"]["pending_with"] == "Missouri Highway Patrol"

    refused = client.post(
        f"{base}/decision", json={"action": "release", "candidate_ids": [candidate["id"]]}
    )
    assert refused.status_code == 403
    assert "no rule grants release:decide" in refused.json()["detail"]
    with runtime.db.session(read_only=True) as session:
        denial = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.action == "access.denied",
                CustodyEvent.object_type == "incident",
                CustodyEvent.object_id == str(s.incident_id),
                CustodyEvent.actor == custodian.id,
            )
        ).one()
    assert denial.outcome == "denied" and denial.details["permission"] == "release:decide"
    page = client.get(f"/incidents/{s.incident_id}/release")
    assert page.status_code == 200 and "Missouri Highway Patrol" in page.text
    assert 'id="decide"' not in page.text  # the form is for the authority only

    sign_out(client)
    mshp = sign_in_outside(client, runtime)
    page = client.get(f"/incidents/{s.incident_id}/release")
    assert page.status_code == 200 and 'id="decide"' in page.text
    decided = client.post(
        f"{base}/decision", json={"action": "release", "candidate_ids": [candidate["id"]]}
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert body["state"] == "released" and body["releases"][0]["released_at"]
    assert body["transitions"][-1]["actor"] == mshp.id
    listed = client.get("/api/releases").json()
    assert [c["incident_id"] for c in listed] == [s.incident_id]
    assert client.get("/releases").status_code == 200


def test_public_list_and_proof_verify_offline_without_private_fields(
    runtime: Runtime, client: TestClient
) -> None:
    s = scenario(runtime, type="arrest", cad="KC26-000555", assign=False)
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    sign_in(client, runtime, roles=("records-custodian",))
    client.post(base)
    candidate = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()[
        "candidates"
    ][0]
    client.post(f"{base}/candidates/{candidate['id']}/review", json={"plan_version": 2})
    client.post(f"{base}/state", json={"to": "ready"})
    case = client.post(
        f"{base}/decision", json={"action": "release", "candidate_ids": [candidate["id"]]}
    ).json()
    release_id = case["releases"][0]["id"]
    sign_out(client)

    assert client.get(f"/api/public/releases/{release_id}/proof").status_code == 404  # unsealed
    assert client.get("/api/public/releases/999/proof").status_code == 404
    checkpoints.seal_and_checkpoint(runtime)
    log_key = log_identity.identity(runtime).verifier_key

    listed = client.get("/api/public/releases")
    assert listed.status_code == 200
    assert listed.json() == [
        {
            "id": release_id,
            "incident_type": "arrest",
            "incident_date": "2026-05-08",
            "area": None,
            "released_at": listed.json()[0]["released_at"],
        }
    ]
    response = client.get(f"/api/public/releases/{release_id}/proof")
    assert response.status_code == 200, response.text
    doc = response.json()
    assert not set(_keys(doc)) & PRIVATE
    with runtime.db.session(read_only=True) as session:
        original = session.get(Recording, s.original_id)
        derived = session.get(Recording, s.derived_id)
        assert original is not None and derived is not None
        private_values = {original.original_filename, derived.original_filename, "test:clerk"}
    assert not private_values & set(_strings(doc))
    assert "KC26-000555" not in response.text and "Officer" not in response.text

    released = check_bundle(
        doc["released"], log_key=log_key, min_witnesses=0, file_sha256=derived.sha256
    )
    origin = check_bundle(
        doc["original"], log_key=log_key, min_witnesses=0, file_sha256=original.sha256
    )
    assert released.entry["object"] == {"type": "recording", "id": str(s.derived_id)}
    assert origin.entry["action"] == "ingest" and origin.private is None
    with pytest.raises(VerificationError):
        check_bundle(doc["released"], log_key=log_key, min_witnesses=0, file_sha256=original.sha256)


def test_release_policy_is_published_to_staff(runtime: Runtime, client: TestClient) -> None:
    sign_in(client, runtime, roles=("records-custodian",))
    doc = client.get("/api/policies/release").json()
    assert (
        doc["version"] == 2
        and doc["require_approved_captions"] is True
        and len(doc["sha256"]) == 64
    )
    shooting = next(r for r in doc["rules"] if r["id"] == "critical-shooting")
    assert shooting["authority"] == "investigating-agency" and shooting["release_days"] == 45
    text = client.get("/api/policies/release.yaml")
    assert text.headers["x-policy-sha256"] == doc["sha256"] and "critical-shooting" in text.text
    page = client.get("/policies/release")
    assert page.status_code == 200 and "RSMo 610.100.2(3)" in page.text
    assert "has approved English captions" in page.text


def test_staff_pages_forms_end_to_end_with_an_embargo(runtime: Runtime, client: TestClient) -> None:
    s = scenario(runtime, cad="KC26-000556")
    make_inactive(runtime, s.incident_id)
    page = f"/incidents/{s.incident_id}/release"
    sign_in(client, runtime, roles=("records-custodian",))
    assert f'href="{page}"' in client.get(f"/incidents/{s.incident_id}").text
    assert "Open the release case" in client.get(page).text
    assert client.post(page, follow_redirects=False).status_code == 303
    client.post(f"{page}/candidates", data={"recording_id": str(s.derived_id)})
    case = client.get(f"/api/incidents/{s.incident_id}/release").json()
    cid = case["candidates"][0]["id"]
    assert "Sign off plan v2" in client.get(page).text
    client.post(f"{page}/candidates/{cid}/review", data={"plan_version": "2", "note": "ok"})
    moved = client.post(f"{page}/state", data={"to": "ready"}, follow_redirects=False)
    assert moved.status_code == 303
    sign_out(client)
    sign_in_outside(client, runtime)
    done = client.post(
        f"{page}/decision",
        data={"action": "release", "candidate_ids": str(cid), "embargo_until": "2099-01-01T12:00"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    case = client.get(f"/api/incidents/{s.incident_id}/release").json()
    assert case["state"] == "ready"
    assert case["releases"][0]["scheduled_for"].startswith("2099-01-01T12:00")
    assert "embargoed until" in client.get(page).text
    assert client.get(f"/api/public/releases/{case['releases'][0]['id']}/proof").status_code == 404


def test_court_orders_and_extensions_over_the_api(runtime: Runtime, client: TestClient) -> None:
    s = scenario(runtime, cad="KC26-000557")
    base = f"/api/incidents/{s.incident_id}/release"
    custodian = sign_in(client, runtime, roles=("records-custodian",))
    assert client.post(base).json()["state"] == "closed"  # the investigation is active
    refused = client.post(f"{base}/state", json={"to": "in-review"})
    assert refused.status_code == 422 and "RSMo 610.100.2(1)" in refused.json()["detail"]
    case = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()
    cid = case["candidates"][0]["id"]
    client.post(f"{base}/candidates/{cid}/review", json={"plan_version": 2})
    extension = {"basis": "the prosecutor is reviewing charges", "estimated_release": "2026-07-01"}
    assert client.post(f"{base}/extensions", json=extension).status_code == 403  # MSHP's call
    petition = client.post(
        f"{base}/petitions",
        json={
            "court": "Circuit Court of Jackson County",
            "case_number": "2616-CV09999",
            "petitioner": "A resident",
            "filed_on": "2026-06-01",
        },
    ).json()["petitions"][0]
    order = client.post(
        f"{base}/petitions/{petition['id']}/orders",
        json={"outcome": "release", "ordered_on": "2026-06-15", "candidate_ids": [cid]},
    )
    assert order.status_code == 200, order.text
    body = order.json()
    recorded = body["petitions"][0]["orders"][0]
    assert (recorded["outcome"], recorded["candidate_ids"]) == ("release", [cid])
    assert (recorded["recorded_by"], recorded["confirmed_at"]) == (custodian.id, None)
    assert body["state"] == "closed" and body["releases"] == []  # one person releases nothing
    confirm = f"{base}/orders/{recorded['id']}/confirm"
    alone = client.post(confirm)
    assert alone.status_code == 403 and "another person must confirm" in alone.json()["detail"]
    with runtime.db.session(read_only=True) as session:
        refusals = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.actor == custodian.id, CustodyEvent.action == "access.denied"
            )
        ).all()
    [refusal] = [e for e in refusals if e.details["permission"] == "release:court-confirm"]
    assert refusal.details["order_id"] == recorded["id"]
    assert "awaiting a second person" in client.get(f"/incidents/{s.incident_id}/release").text

    sign_out(client)
    second = sign_in(client, runtime, roles=("internal-affairs",))
    page = client.get(f"/incidents/{s.incident_id}/release").text
    assert "Confirm this order" in page
    confirmed = client.post(confirm)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["state"] == "released-by-court-order"
    assert body["petitions"][0]["orders"][0]["confirmed_by"] == second.id
    assert body["releases"][0]["court_order_id"] == recorded["id"]
    assert body["transitions"][-1]["actor"] == second.id
    assert client.post(confirm).status_code == 409  # already confirmed

    sign_out(client)
    sign_in_outside(client, runtime)
    assert client.post(f"{base}/extensions", json=extension).status_code == 422  # final


def test_sending_back_is_the_authoritys_and_a_refusal_is_recorded(
    runtime: Runtime, client: TestClient
) -> None:
    s = scenario(runtime, cad="KC26-000558")
    make_inactive(runtime, s.incident_id)
    base = f"/api/incidents/{s.incident_id}/release"
    custodian = sign_in(client, runtime, roles=("records-custodian",))
    client.post(base)
    cid = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()[
        "candidates"
    ][0]["id"]
    client.post(f"{base}/candidates/{cid}/review", json={"plan_version": 2})
    client.post(f"{base}/state", json={"to": "ready"})
    back = client.post(f"{base}/state", json={"to": "in-review"})
    assert back.status_code == 403
    with runtime.db.session(read_only=True) as session:
        denied = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.action == "access.denied", CustodyEvent.actor == custodian.id
            )
        ).one()
        assert denied.details["permission"] == "release:decide"
    sign_out(client)
    sign_in_outside(client, runtime)
    sent = client.post(f"{base}/decision", json={"action": "send-back", "reason": "more blur"})
    assert sent.status_code == 200 and sent.json()["state"] == "in-review"


def test_release_routes_read_the_apps_clock(runtime: Runtime, client: TestClient) -> None:
    """The routes pass the request's clock (``now_for``) to the domain: a case opened, a
    candidate added and the clock read all happen at the app's time, not the wall's."""
    s = scenario(runtime, cad="KC26-000559")
    at = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
    client.app.state.clock = lambda: at  # type: ignore[attr-defined]
    sign_in(client, runtime, roles=("records-custodian",), now=at)
    base = f"/api/incidents/{s.incident_id}/release"
    opened = client.post(base)
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["transitions"][0]["at"] == "2026-05-20T09:30:00Z"
    assert case["clock"]["days_left"] == (datetime.fromisoformat(case["clock"]["due_at"]) - at).days
    added = client.post(f"{base}/candidates", json={"recording_id": s.derived_id}).json()
    with runtime.db.session(read_only=True) as session:
        candidate = session.get(ReleaseCandidate, added["candidates"][0]["id"])
        assert candidate is not None and candidate.added_at == at

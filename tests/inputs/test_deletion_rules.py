"""Deletion only on the schedule's own clock: a real retention run uses the present time,
booleans are strict, and recordings of an incident under investigation stay linked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sunlight.evidence.models import Recording
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as, principal
from tests.support.auth import sign_in
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2025, 1, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        sign_in(test_client, runtime)
        yield test_client


def test_a_real_run_ignores_no_clock_but_its_own(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)  # unclaimed: non-evidentiary, 180 days
    for body in ({"dry_run": False, "as_of": "2099-01-01"}, {"as_of": "2099-01-01", "dry_run": 0}):
        refused = client.post("/api/retention/run", json=body)
        assert refused.status_code == 422, refused.text
    assert (
        "dry runs only"
        in client.post("/api/retention/run", json={"dry_run": False, "as_of": "2099-01-01"}).json()[
            "detail"
        ]
    )
    for falsy in (0, "false", "0", None):
        assert client.post("/api/retention/run", json={"dry_run": falsy}).status_code == 422
    # the dry run may look at any day; it changes nothing
    preview = client.post("/api/retention/run", json={"as_of": "2099-01-01"})
    assert preview.status_code == 200
    assert [d["recording_id"] for d in preview.json()["to_schedule"]] == [rec]
    # two real runs, at once: scheduled today, nothing deleted within the grace period
    for _ in range(2):
        real = client.post("/api/retention/run", json={"dry_run": False})
        assert real.status_code == 200, real.text
        assert real.json()["to_delete"] == []
        assert real.json()["as_of"] == datetime.now(UTC).date().isoformat()
    with runtime.db.session() as session:
        recording = session.get(Recording, rec)
        assert recording is not None and recording.deleted_at is None
    assert client.get(f"/api/recordings/{rec}/original").status_code == 200


def test_no_unlink_while_an_investigation_is_active_or_an_agency_holds(
    client: TestClient, runtime: Runtime
) -> None:
    officer = add_officer(runtime, "4417", "Dana Whitfield")
    rec = add_recording(runtime, officer_id=officer, recorded_at=T0)
    created = client.post(
        "/api/incidents",
        json={
            "cad_number": "KC25-1",
            "type": "arrest",
            "started_at": T0.isoformat(),
            "ended_at": (T0 + timedelta(minutes=30)).isoformat(),
        },
    )
    iid = created.json()["id"]
    assert created.json()["investigation"]["status"] == "active"
    assert client.post(f"/api/incidents/{iid}/recordings", json={"recording_id": rec}).is_success
    unlink = f"/api/incidents/{iid}/recordings/{rec}/unlink"
    refused = client.post(unlink, json={"reason": "wrong call"})
    assert refused.status_code == 409
    assert "investigation of incident KC25-1 is active" in refused.json()["detail"]

    assert client.post(f"/api/incidents/{iid}/custody", json={"reason": "OIS"}).is_success
    held = client.post(unlink, json={"reason": "wrong call"})
    # the access policy's outside-custody lock answers first (403); the agency itself meets
    # the 409 guard
    assert held.status_code == 403
    assert held.json()["diagnostics"]["rule"] == "outside-custody-lock"
    patrol = principal(runtime, "outside-investigator", agency_kind="investigator")
    with acting_as(client, patrol):
        held = client.post(unlink, json={"reason": "wrong call"})
        assert held.status_code == 409
        assert "custody of Missouri Highway Patrol" in held.json()["detail"]
    # still claimed: the retention schedule keeps it under the incident's rule
    assert client.get(f"/api/recordings/{rec}/retention").json()["rule"] != "non-evidentiary"

    refused = client.post(f"/api/incidents/{iid}/custody/return", json={"reason": "done"})
    assert refused.status_code == 403  # only the holding agency returns custody
    with acting_as(client, patrol):
        back = client.post(f"/api/incidents/{iid}/custody/return", json={"reason": "done"})
        assert back.is_success, back.text
    assert client.post(unlink, json={"reason": "wrong call"}).status_code == 409  # still active
    closed = client.post(
        f"/api/incidents/{iid}/status",
        json={"status": "inactive", "reason": "not-pursued", "on": "2025-02-01"},
    )
    assert closed.is_success, closed.text
    done = client.post(unlink, json={"reason": "wrong call"})
    assert done.is_success, done.text
    assert done.json()["recordings"] == []

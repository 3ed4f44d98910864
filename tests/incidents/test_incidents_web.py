"""Incidents, retention and compliance over HTTP: JSON endpoints and staff pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as, principal
from tests.support.auth import sign_in
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        sign_in(test_client, runtime)
        yield test_client


def test_incident_json_flow(client: TestClient, runtime: Runtime) -> None:
    officer = add_officer(runtime, "4417", "Dana Whitfield", "Central")
    rec = add_recording(runtime, officer_id=officer, recorded_at=T0 + timedelta(minutes=3))
    created = client.post(
        "/api/incidents",
        json={
            "cad_number": "KC26-7",
            "type": "officer-involved-shooting",
            "started_at": T0.isoformat(),
            "ended_at": (T0 + timedelta(minutes=20)).isoformat(),
            "officers": ["4417"],
            "unit": "Central",
        },
    )
    assert created.status_code == 201, created.text
    incident = created.json()
    iid = incident["id"]
    assert [s["recording_id"] for s in incident["suggestions"]] == [rec]
    assert incident["investigation"]["status"] == "active"
    linked = client.post(
        f"/api/incidents/{iid}/recordings", json={"recording_id": rec, "how": "suggested"}
    )
    (link,) = linked.json()["recordings"]
    assert link["recording_id"] == rec and link["how"] == "suggested"
    assert link["linked_by"].startswith("user:")
    agencies = client.get("/api/agencies").json()
    assert agencies[0]["name"] == "Missouri Highway Patrol" and agencies[0]["default"]
    assigned = client.post(f"/api/incidents/{iid}/custody", json={"reason": "OIS protocol"})
    assert assigned.json()["custodian"] == "Missouri Highway Patrol"
    refused = client.post(
        f"/api/incidents/{iid}/recordings/{rec}/unlink", json={"reason": "mistake"}
    )
    # the access policy refuses the department first (403, its rule), before the 409 guards
    assert refused.status_code == 403
    assert refused.json()["diagnostics"]["rule"] == "outside-custody-lock"
    edit = client.patch(f"/api/recordings/{rec}", json={"title": "x", "reason": "typo"})
    assert edit.status_code == 403 and "outside agency" in edit.text
    # the Highway Patrol holds it: its investigator sets the status; the 409 guard still stands
    with acting_as(client, principal(runtime, "outside-investigator", agency_kind="investigator")):
        edit = client.patch(f"/api/recordings/{rec}", json={"title": "x", "reason": "typo"})
        assert edit.status_code == 409 and "Highway Patrol" in edit.text
        bad = client.post(f"/api/incidents/{iid}/status", json={"status": "active"})
        assert bad.status_code == 422 and "from active to active" in bad.text
        status = client.post(
            f"/api/incidents/{iid}/status",
            json={"status": "inactive", "reason": "not-pursued", "on": "2026-05-09"},
        )
    assert status.json()["investigation"]["reason"] == "not-pursued"
    events = client.get(f"/api/incidents/{iid}/events").json()
    assert [e["action"] for e in events] == [
        "incident.create",
        "custody.transfer",
        "access.denied",  # the department's refused unlink, with its rule
        "investigation.status",
    ]
    assert events[2]["outcome"] == "denied"
    assert events[2]["details"]["rule"] == "outside-custody-lock"
    assert client.get("/api/incidents", params={"type": "officer-involved-shooting"}).json()
    assert client.get("/api/incidents/999").status_code == 404
    page = client.get(f"/recordings/{rec}")
    assert page.status_code == 200 and "KC26-7" in page.text
    assert '<dd id="recording-custodian">Missouri Highway Patrol</dd>' in page.text
    retention = client.get(f"/api/recordings/{rec}/retention").json()
    assert retention["rule"] == "officer-involved-shooting" and retention["delete_on"] is None


def test_retention_and_compliance_json(client: TestClient, runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=datetime(2025, 1, 1, tzinfo=UTC))
    assert client.get("/api/retention/policy").json()["grace_period_days"] == 30
    report = client.get("/api/retention/report", params={"as_of": "2025-07-01"}).json()
    assert [i["recording_id"] for i in report["to_schedule"]] == [rec] and report["dry_run"]
    hold = client.post("/api/retention/holds", json={"recording_id": rec, "reason": "subpoena"})
    assert hold.status_code == 201
    report = client.get("/api/retention/report", params={"as_of": "2025-07-01"}).json()
    assert report["to_schedule"] == [] and report["blocked"][0]["recording_id"] == rec
    hold_id = hold.json()["id"]
    client.post(f"/api/retention/holds/{hold_id}/release", json={"reason": "case closed"})
    run = client.post("/api/retention/run", json={"dry_run": False})  # today: long due
    assert run.json()["counts"]["to_schedule"] == 1
    pending = client.get("/api/retention/deletions").json()
    undo = client.post(
        f"/api/retention/deletions/{pending[0]['id']}/undo", json={"reason": "IA case"}
    )
    assert undo.json()["status"] == "undone"
    csv = "cad_number,type,started_at,ended_at\nKC1,arrest,2026-05-08T10:00:00Z,bad\n"
    imported = client.post("/api/import/cad", content=csv.encode())
    assert imported.status_code == 422
    assert imported.json()["errors"][0]["text"].startswith("row 1 (line 2): ended_at")
    month = client.get("/api/compliance/report", params={"month": "2025-01"}).json()
    assert month["totals"]["uncategorised"] == 1
    public = client.get("/api/compliance/public", params={"month": "2025-01"}).json()
    assert public["publishable"] is True and "by_officer" not in public
    drawn = client.post("/api/compliance/review/draw", json={"month": "2025-01"}).json()
    assert [i["recording_id"] for i in drawn] == [rec]
    done = client.post(f"/api/compliance/review/{drawn[0]['id']}", json={"outcome": "compliant"})
    assert done.json()["reviewed_by"].startswith("user:")


def test_pages_render(client: TestClient, runtime: Runtime) -> None:
    add_officer(runtime, "4417", "Dana Whitfield", "Central")
    add_recording(runtime, recorded_at=datetime(2025, 1, 1, tzinfo=UTC))
    created = client.post(
        "/incidents",
        data={
            "cad_number": "KC26-9",
            "type": "arrest",
            "started_at": "2026-05-08T14:00",
            "ended_at": "2026-05-08T14:30",
            "officers": "4417",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert detail.status_code == 200 and "KC26-9" in detail.text
    ran = client.post("/retention/run", follow_redirects=False)
    assert ran.status_code == 303
    assert "No deletions pending" not in client.get("/retention").text
    for path in ("/incidents", "/retention?as_of=2025-07-01", "/compliance?month=2025-01"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'href="/incidents"' in page.text
    bad = "cad_number,type,started_at,ended_at\nKC1,picnic,2026-05-08T10:00:00Z,2026-05-08T11Z\n"
    result = client.post(
        "/compliance/import",
        data={"kind": "cad"},
        files={"file": ("cad.csv", bad.encode(), "text/csv")},
    )
    assert result.status_code == 422
    assert "Nothing of cad.csv was imported" in result.text and "row 1 (line 2)" in result.text

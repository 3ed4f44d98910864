"""The camera fleet: status, funding, docks, holders and last upload per camera."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from sunlight.compliance import fleet
from sunlight.evidence import service as evidence
from sunlight.evidence.custody import events_for
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import sign_in
from tests.support.evidence_data import add_officer, add_recording


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        sign_in(test_client, runtime)
        yield test_client


def test_fleet_status_docks_and_last_upload(runtime: Runtime, client: TestClient) -> None:
    officer = add_officer(runtime, "4417", "Dana Whitfield", "Central")
    with runtime.db.session() as session:
        cam = evidence.create_device(
            session,
            serial="PAN-BWC-000417",
            vendor="Panasonic",
            model="Arbitrator BWC",
            funding_source="DeBruce Foundation grant",
            actor="t",
        )
        spare = evidence.create_device(
            session, serial="PAN-BWC-000999", vendor="Panasonic", model="Arbitrator BWC", actor="t"
        )
        evidence.assign_device(
            session,
            device_id=cam.id,
            officer_id=officer,
            at=datetime(2026, 1, 1, tzinfo=UTC),
            actor="t",
        )
        cam_id, spare_id = cam.id, spare.id
    rec = add_recording(runtime, officer_id=officer, recorded_at=datetime(2026, 5, 1, tzinfo=UTC))
    with runtime.db.session() as session:
        evidence.update_recording(session, rec, {"device_id": cam_id}, actor="t", reason="dock log")

    dock = client.post("/api/docks", json={"name": "Central Patrol dock 1", "unit": "Central"})
    assert dock.status_code == 201
    moved = client.post(f"/api/devices/{cam_id}/dock", json={"dock_id": dock.json()["id"]})
    assert moved.json() == {"device_id": cam_id, "dock": "Central Patrol dock 1"}
    status = client.post(
        f"/api/devices/{spare_id}/status", json={"status": "in-repair", "reason": "cracked lens"}
    )
    assert status.json()["status"] == "in-repair"
    bad = client.post(f"/api/devices/{spare_id}/status", json={"status": "sold", "reason": "x"})
    assert bad.status_code == 422

    with runtime.db.session() as session:
        view = fleet.fleet(session, now=datetime(2026, 5, 11, 1, 0, tzinfo=UTC))
        by_serial = {c["serial"]: c for c in view["cameras"]}
        camera = by_serial["PAN-BWC-000417"]
        assert camera["dock"] == "Central Patrol dock 1"
        assert camera["holder"] == {"badge_number": "4417", "name": "Dana Whitfield"}
        assert camera["days_since_upload"] == 9
        assert by_serial["PAN-BWC-000999"]["status"] == "in-repair"
        assert view["public"] == {
            "publishable": True,
            "cameras": 2,
            "by_status": {"in-service": 1, "in-repair": 1},
            "by_funding_source": {"DeBruce Foundation grant": 1, "(not recorded)": 1},
        }
        events = events_for(session, "device", spare_id)
        assert events[-1].details == {
            "before": {"status": "in-service"},
            "after": {"status": "in-repair"},
        }
        assert events[-1].reason == "cracked lens"
    page = client.get("/fleet")
    assert page.status_code == 200 and "Central Patrol dock 1" in page.text
    assert 'href="/fleet"' in client.get("/devices").text

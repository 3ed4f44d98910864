"""Attack: the ``open-record`` basis delivers an ORIGINAL to any requester, without
verification, review or release. It must not become a way around the release authority
(the Missouri Highway Patrol for the shootings it investigates), around a recording closed
while its investigation is active (RSMo 610.100.2(1)), or around the release policy's
exclusions (flags for nonpublic locations and vulnerable people). Both back ends."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Principal
from sunlight.db.base import utcnow
from sunlight.errors import Forbidden
from sunlight.evidence.models import CustodyEvent, RecordingFlag
from sunlight.requests import service
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.release.support import make_inactive, person, scenario
from tests.requests.support import file, load
from tests.support.auth import sign_in

NOW = utcnow()


def _request_naming_recording(runtime: Runtime, recording_id: int, staff: Principal) -> int:
    request_id, _ = file(runtime, now=NOW)
    with runtime.db.session() as session:
        service.add_item(
            session,
            service.get(session, request_id),
            principal=staff,
            why="the footage the requester describes",
            now=NOW,
            recording_id=recording_id,
        )
    return request_id


def _open_record(runtime: Runtime, request_id: int, recording_id: int, staff: Principal) -> None:
    with runtime.db.session() as session:
        service.deliver(
            session,
            service.get(session, request_id),
            recording_id=recording_id,
            basis="open-record",
            actor=staff,
            now=NOW,
        )


def test_custodian_cannot_give_away_a_highway_patrol_original(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000901")  # a shooting assigned to the Highway Patrol
    make_inactive(runtime, s.incident_id)
    custodian = person(runtime, 1, "records-custodian")
    request_id = _request_naming_recording(runtime, s.original_id, custodian)
    with pytest.raises(Forbidden, match="release authority"):
        _open_record(runtime, request_id, s.original_id, custodian)
    assert load(runtime, request_id).deliveries == []


def test_original_of_an_active_investigation_stays_closed(runtime: Runtime) -> None:
    s = scenario(runtime, type="traffic-stop", cad="KC26-000902", assign=False)
    custodian = person(runtime, 1, "records-custodian")
    request_id = _request_naming_recording(runtime, s.original_id, custodian)
    with pytest.raises(Forbidden, match="active"):
        _open_record(runtime, request_id, s.original_id, custodian)
    assert load(runtime, request_id).deliveries == []


def test_original_flagged_by_the_release_policy_stays_closed(runtime: Runtime) -> None:
    s = scenario(runtime, type="traffic-stop", cad="KC26-000903", assign=False)
    make_inactive(runtime, s.incident_id)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        session.add(
            RecordingFlag(
                recording_id=s.original_id,
                kind="nonpublic-location",
                reason="a dwelling",
                created_by="t",
            )
        )
    request_id = _request_naming_recording(runtime, s.original_id, custodian)
    with pytest.raises(Forbidden, match="release policy"):
        _open_record(runtime, request_id, s.original_id, custodian)
    assert load(runtime, request_id).deliveries == []


def test_department_original_of_an_inactive_case_is_still_an_open_record(
    runtime: Runtime,
) -> None:
    s = scenario(runtime, type="traffic-stop", cad="KC26-000904", assign=False)
    make_inactive(runtime, s.incident_id)
    custodian = person(runtime, 1, "records-custodian")
    request_id = _request_naming_recording(runtime, s.original_id, custodian)
    _open_record(runtime, request_id, s.original_id, custodian)
    (delivery,) = load(runtime, request_id).deliveries
    assert delivery.recording_id == s.original_id and delivery.basis == "open-record"


def test_refused_open_record_over_the_web_is_recorded(runtime: Runtime) -> None:
    """The 403 is a custody event (access.denied) on the recording, naming the request."""
    s = scenario(runtime, type="traffic-stop", cad="KC26-000905", assign=False)  # active
    staff = person(runtime, 1, "records-custodian")
    request_id = _request_naming_recording(runtime, s.original_id, staff)
    app = create_app(runtime, start_worker=False)
    with TestClient(app) as client:
        sign_in(client, runtime, roles=("records-custodian",))
        answer = client.post(
            f"/api/requests/{request_id}/deliver",
            json={"recording_id": s.original_id, "basis": "open-record"},
            headers={"X-Access-Reason": "other: records request"},
        )
    assert answer.status_code == 403, answer.text
    assert "active investigation" in answer.json()["detail"]
    with runtime.db.session(read_only=True) as session:
        denied = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.object_type == "recording",
                CustodyEvent.object_id == str(s.original_id),
                CustodyEvent.action == "access.denied",
            )
        ).all()
    assert len(denied) == 1
    assert denied[0].details["request_id"] == request_id
    assert denied[0].details["basis"] == "open-record"
    assert load(runtime, request_id).deliveries == []

"""What a request records is stamped by the app's clock (``app.state.clock``, read through
``deps.now_for``), never by the wall clock: a refusal on a resource, a refused delivery, an
administrator's changes, a custody hand-over, an investigation's status day, an officer's
statement, a hold's release, an undone deletion, a supervisor's review, a camera's dock, a
cleared flag and the days and months a page or report defaults to. The clock is set years
away from any day the suite runs on, so a stamp taken from the wall clock cannot match it.
Both back ends (the ``runtime`` fixture)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access.models import Agency, Unit, User
from sunlight.access.principal import Principal
from sunlight.compliance import fleet
from sunlight.compliance.models import DeviceDock, ReviewItem
from sunlight.evidence import service as evidence
from sunlight.evidence.models import CustodyEvent, RecordingFlag
from sunlight.incidents.models import CustodyAssignment, Incident, IncidentOfficer
from sunlight.retention import service as retention
from sunlight.retention.models import LegalHold, RetentionDeletion
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.access.principals import acting_as, agency_id, principal
from tests.support import access_data

FAR = datetime(2031, 1, 2, 9, 30, tzinfo=UTC)  # years from any day the suite runs on


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: FAR
    with TestClient(app) as test_client:
        yield test_client


def _who(runtime: Runtime, *roles: str, **kwargs: object) -> Principal:
    """A principal who re-authenticated at the app's present (step-up is not in the way)."""
    return dataclasses.replace(principal(runtime, *roles, **kwargs), reauth_at=FAR)  # type: ignore[arg-type]


def _events(runtime: Runtime, object_type: str, object_id: int, action: str) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent)
                .where(
                    CustodyEvent.object_type == object_type,
                    CustodyEvent.object_id == str(object_id),
                    CustodyEvent.action == action,
                )
                .order_by(CustodyEvent.id)
            )
        )


# -- refusals -----------------------------------------------------------------------------


def test_a_refusal_on_a_recording_is_stamped_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        mine = access_data.add_officer(session, unit="East")
        theirs = access_data.add_officer(session, unit="West")
        rid = access_data.add_recording(session, officer_id=theirs)
    with acting_as(client, _who(runtime, "officer", officer_id=mine, unit="East")):
        answer = client.get(f"/api/recordings/{rid}")
    assert answer.status_code == 404, answer.text  # out of scope: answered as missing
    [denied] = _events(runtime, "recording", rid, "access.denied")
    assert denied.outcome == "denied"
    assert denied.occurred_at == FAR


def test_a_refused_delivery_is_stamped_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    from sunlight.requests import service as requests
    from tests.release.support import scenario
    from tests.requests.support import file

    s = scenario(runtime, type="traffic-stop", cad="KC26-000977", assign=False)  # active
    staff = _who(runtime, "records-custodian")
    request_id, _ = file(runtime, now=FAR)
    with runtime.db.session() as session:
        requests.add_item(
            session,
            requests.get(session, request_id),
            principal=staff,
            why="the footage the requester describes",
            now=FAR,
            recording_id=s.original_id,
        )
    with acting_as(client, staff):
        answer = client.post(
            f"/api/requests/{request_id}/deliver",
            json={"recording_id": s.original_id, "basis": "open-record"},
            headers={"Sunlight-Reason": "other: records request"},
        )
    assert answer.status_code == 403, answer.text
    [denied] = _events(runtime, "recording", s.original_id, "access.denied")
    assert denied.details["request_id"] == request_id
    assert denied.occurred_at == FAR


# -- administration -----------------------------------------------------------------------


def test_an_account_made_and_disabled_on_the_admin_pages_is_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with acting_as(client, _who(runtime, "administrator")):
        made = client.post(
            "/admin/users",
            data={
                "username": "clock.tester",
                "display_name": "Clock Tester",
                "agency_id": str(agency_id(runtime, "department")),
                "role": "officer",
            },
        )
        assert made.status_code == 200, made.text
        with runtime.db.session(read_only=True) as session:
            user = session.scalars(select(User).where(User.username == "clock.tester")).one()
            uid = user.id
            assert user.created_at == FAR
            assert [r.granted_at for r in user.roles] == [FAR]
        for path in ("roles", "disable"):
            form = {"role": "supervisor"} if path == "roles" else {"reason": "left"}
            done = client.post(f"/admin/users/{uid}/{path}", data=form, follow_redirects=False)
            assert done.status_code == 303, done.text
    with runtime.db.session(read_only=True) as session:
        user = session.get(User, uid)
        assert user is not None
        assert user.disabled_at == FAR
        assert [r.granted_at for r in user.roles] == [FAR]
    changes = [e.occurred_at for e in _events(runtime, "user", uid, "user.disable")]
    assert changes == [FAR]


def test_an_agency_and_unit_made_on_the_admin_pages_are_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with acting_as(client, _who(runtime, "administrator")):
        made = client.post(
            "/admin/agencies",
            data={"name": "Clock County Sheriff", "short_name": "CCS", "kind": "investigator"},
            follow_redirects=False,
        )
        assert made.status_code == 303, made.text
        with runtime.db.session(read_only=True) as session:
            agency = session.scalars(select(Agency).where(Agency.short_name == "CCS")).one()
            aid, created = agency.id, agency.created_at
        unit = client.post(
            f"/admin/agencies/{aid}/units", data={"name": "Night"}, follow_redirects=False
        )
        assert unit.status_code == 303, unit.text
    assert created == FAR
    with runtime.db.session(read_only=True) as session:
        assert session.scalars(select(Unit.created_at).where(Unit.agency_id == aid)).all() == [FAR]


# -- incidents ----------------------------------------------------------------------------


def test_a_custody_hand_over_and_return_are_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        incident = access_data.add_incident(session)
    with acting_as(client, _who(runtime, "records-custodian")):
        handed = client.post(f"/api/incidents/{incident}/custody", json={"reason": "OIS"})
        assert handed.status_code == 200, handed.text
    # only the agency holding the footage hands it back
    with acting_as(client, _who(runtime, "outside-investigator", agency_kind="investigator")):
        back = client.post(f"/api/incidents/{incident}/custody/return", json={"reason": "done"})
        assert back.status_code == 200, back.text
    with runtime.db.session(read_only=True) as session:
        [assignment] = session.scalars(
            select(CustodyAssignment).where(CustodyAssignment.incident_id == incident)
        ).all()
        assert (assignment.assigned_at, assignment.returned_at) == (FAR, FAR)


def test_an_investigation_status_defaults_to_the_apps_day(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        incident = access_data.add_incident(session)
    with acting_as(client, _who(runtime, "records-custodian")):
        closed = client.post(  # no date given: the app's day
            f"/api/incidents/{incident}/status",
            json={"status": "inactive", "reason": "not-pursued"},
        )
        assert closed.status_code == 200, closed.text
        # and the app's day, named, is not "in the future"
        reopened = client.post(
            f"/api/incidents/{incident}/status",
            json={"status": "active", "on": FAR.date().isoformat()},
        )
        assert reopened.status_code == 200, reopened.text
    with runtime.db.session(read_only=True) as session:
        found = session.get(Incident, incident)
        assert found is not None and found.status_date == FAR.date()
    changes = _events(runtime, "incident", incident, "investigation.status")
    assert [e.details["after"]["date"] for e in changes] == [FAR.date().isoformat()] * 2


def test_an_officers_statement_is_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        officer = access_data.add_officer(session)
        incident = access_data.add_incident(session, officers={officer: None})
    with acting_as(client, _who(runtime, "records-custodian")):
        given = client.post(f"/api/incidents/{incident}/officers/{officer}/statement", json={})
        assert given.status_code == 200, given.text
    with runtime.db.session(read_only=True) as session:
        involved = session.scalars(
            select(IncidentOfficer).where(IncidentOfficer.incident_id == incident)
        ).one()
        assert involved.statement_at == FAR


# -- retention ----------------------------------------------------------------------------


def test_a_hold_released_and_a_deletion_undone_are_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        held = access_data.add_recording(session, officer_id=None)
        doomed = access_data.add_recording(session, officer_id=None)
        hold = retention.place_hold(session, recording_id=held, reason="subpoena", actor="t")
        hold_id = hold.id
        deletion = RetentionDeletion(
            recording_id=doomed,
            sha256="0" * 64,
            rule="test",
            policy_version=1,
            due_on=FAR.date(),
            scheduled_on=FAR.date(),
            grace_until=FAR.date(),
            scheduled_by="t",
        )
        session.add(deletion)
        session.flush()
        deletion_id = deletion.id
    with acting_as(client, _who(runtime, "records-custodian", "administrator")):
        released = client.post(
            f"/api/retention/holds/{hold_id}/release", json={"reason": "case closed"}
        )
        assert released.status_code == 200, released.text
        undone = client.post(
            f"/api/retention/deletions/{deletion_id}/undo", json={"reason": "evidence"}
        )
        assert undone.status_code == 200, undone.text
        report = client.get("/api/retention/report")
        assert report.status_code == 200, report.text
    assert report.json()["as_of"] == FAR.date().isoformat()
    with runtime.db.session(read_only=True) as session:
        found = session.get(LegalHold, hold_id)
        closed = session.get(RetentionDeletion, deletion_id)
        assert found is not None and found.released_at == FAR
        assert closed is not None and closed.closed_at == FAR


# -- compliance, fleet, flags -------------------------------------------------------------


def test_a_review_is_dated_and_the_report_month_chosen_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        rid = access_data.add_recording(session, officer_id=None)
        item = ReviewItem(recording_id=rid, month="2030-12", drawn_by="t")
        session.add(item)
        session.flush()
        item_id = item.id
    with acting_as(client, _who(runtime, "supervisor", "records-custodian", "administrator")):
        done = client.post(f"/api/compliance/review/{item_id}", json={"outcome": "compliant"})
        assert done.status_code == 200, done.text
        report = client.get("/api/compliance/report")
        assert report.status_code == 200, report.text
    assert report.json()["month"] == "2030-12"  # the month before the app's
    with runtime.db.session(read_only=True) as session:
        found = session.get(ReviewItem, item_id)
        assert found is not None and found.reviewed_at == FAR


def test_a_camera_docked_and_a_flag_cleared_are_dated_by_the_apps_clock(
    runtime: Runtime, client: TestClient
) -> None:
    with runtime.db.session() as session:
        device = evidence.create_device(
            session, serial="BWC-CLOCK", vendor="Axon", model="Body 4", actor="t"
        ).id
        dock = fleet.create_dock(session, name="Clock dock", location=None, unit=None, actor="t").id
        rid = access_data.add_recording(session, officer_id=None)
        flag = access_data.add_flag(session, rid, "review")
    with acting_as(client, _who(runtime, "supervisor", "records-custodian", "administrator")):
        docked = client.post(f"/api/devices/{device}/dock", json={"dock_id": dock})
        assert docked.status_code == 200, docked.text
        cleared = client.post(
            f"/api/recordings/{rid}/flags/{flag}/clear",
            json={"reason": "checked"},
            headers={"Sunlight-Reason": "other: clearing a flag"},
        )
        assert cleared.status_code == 200, cleared.text
    with runtime.db.session(read_only=True) as session:
        link = session.get(DeviceDock, device)
        found = session.get(RecordingFlag, flag)
        assert link is not None and link.since == FAR
        assert found is not None and found.cleared_at == FAR

"""Incidents: suggestions by officer and time, linking, outside custody, RSMo 610.100 states."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sunlight.evidence import service as evidence
from sunlight.evidence.custody import events_for
from sunlight.evidence.guards import Operation
from sunlight.incidents import service
from sunlight.runtime import Runtime
from tests.support.evidence_data import add_officer, add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


def _incident(runtime: Runtime, cad: str, badges: list[str], **kw: object) -> int:
    with runtime.db.session() as session:
        incident = service.create_incident(
            session,
            cad_number=cad,
            type=str(kw.pop("type", "use-of-force")),
            started_at=T0,
            ended_at=T0 + timedelta(minutes=30),
            officer_badges=badges,
            actor="test:clerk",
            **kw,  # type: ignore[arg-type]
        )
        return incident.id


def test_suggestions_by_officer_and_overlap_then_confirm(runtime: Runtime) -> None:
    a = add_officer(runtime, "4417", "Dana Whitfield", "Central")
    b = add_officer(runtime, "5120", "Marcus Ortega", "East")
    during = add_recording(runtime, officer_id=a, recorded_at=T0 + timedelta(minutes=5))
    before_overlapping = add_recording(
        runtime, officer_id=a, recorded_at=T0 - timedelta(minutes=20), duration_s=900
    )
    long_before = add_recording(runtime, officer_id=a, recorded_at=T0 - timedelta(hours=3))
    other_officer = add_recording(runtime, officer_id=b, recorded_at=T0 + timedelta(minutes=5))
    incident_id = _incident(runtime, "KC26-000101", ["4417"])
    with runtime.db.session() as session:
        incident = service.get_incident(session, incident_id)
        suggested = {r.id for r in service.suggestions(session, incident)}
    assert suggested == {during, before_overlapping}
    assert long_before not in suggested and other_officer not in suggested
    with runtime.db.session() as session:
        service.link_recording(session, incident_id, during, actor="test:sgt", how="suggested")
        service.link_recording(session, incident_id, other_officer, actor="test:sgt")
    with runtime.db.session() as session:
        incident = service.get_incident(session, incident_id)
        assert {r.id for r in service.suggestions(session, incident)} == {before_overlapping}
        assert {lk.recording_id: lk.how for lk in incident.links} == {
            during: "suggested",
            other_officer: "manual",
        }
        link_events = [
            e for e in events_for(session, "recording", during) if e.action == "incident.link"
        ]
        assert link_events[0].details["cad_number"] == "KC26-000101"
        with pytest.raises(evidence.InvalidChange, match="already linked"):
            service.link_recording(session, incident_id, during, actor="test:sgt")
    # one recording can belong to several incidents
    # no investigation: a link made by mistake can be undone
    second = _incident(runtime, "KC26-000102", ["4417"], type="arrest", investigation_status="none")
    with runtime.db.session() as session:
        service.link_recording(session, second, during, actor="test:sgt")
        assert {i.cad_number for i in service.incidents_for_recording(session, during)} == {
            "KC26-000101",
            "KC26-000102",
        }
        service.unlink_recording(session, second, during, actor="test:sgt", reason="wrong call")
        assert [e.action for e in events_for(session, "recording", during)][-1] == "incident.unlink"


def test_assignment_moves_custody_and_blocks_alteration_unlinking_deletion(
    runtime: Runtime,
) -> None:
    officer = add_officer(runtime, "4417", "Dana Whitfield")
    rec = add_recording(runtime, officer_id=officer, recorded_at=T0)
    incident_id = _incident(runtime, "KC26-000200", ["4417"], type="officer-involved-shooting")
    with runtime.db.session() as session:
        service.link_recording(session, incident_id, rec, actor="test:sgt")
        mshp = service.default_agency(session)
        assert mshp.name == "Missouri Highway Patrol"
        service.assign_to_agency(session, incident_id, actor="test:captain", reason="OIS protocol")
    with runtime.db.session() as session:
        assert service.custodian_of(session, rec) == "Missouri Highway Patrol"
        transfers = [
            e for e in events_for(session, "recording", rec) if e.action == "custody.transfer"
        ]
        assert len(transfers) == 1
        assert transfers[0].details["from"] == "Kansas City Police Department"
        assert transfers[0].details["to"] == "Missouri Highway Patrol"
        assert transfers[0].reason == "OIS protocol"
        assert [e.action for e in events_for(session, "incident", incident_id)][-1] == (
            "custody.transfer"
        )
    with runtime.db.session() as session, pytest.raises(evidence.ChangeRefused, match="Highway"):
        evidence.update_recording(session, rec, {"title": "x"}, actor="test:clerk", reason="typo")
    with runtime.db.session() as session, pytest.raises(evidence.ChangeRefused, match="custody"):
        service.unlink_recording(session, incident_id, rec, actor="test:clerk", reason="mistake")
    with runtime.db.session() as session, pytest.raises(evidence.ChangeRefused, match="Highway"):
        evidence.check_change(session, rec, Operation.DELETE)
    other = _incident(runtime, "KC26-000201", ["4417"], type="arrest", investigation_status="none")
    with (
        runtime.db.session() as session
    ):  # a department-held incident without investigation: the link can go
        service.link_recording(session, other, rec, actor="test:sgt")
        service.unlink_recording(session, other, rec, actor="test:sgt", reason="wrong call")
    with runtime.db.session() as session:  # the department's own flags stay possible
        evidence.flag_recording(session, rec, kind="review", reason="check audio", actor="t:sgt")
    # footage linked later passes to the agency too
    later = add_recording(runtime, officer_id=officer, recorded_at=T0 + timedelta(minutes=2))
    with runtime.db.session() as session:
        service.link_recording(session, incident_id, later, actor="test:sgt")
        assert [e.action for e in events_for(session, "recording", later)][-1] == (
            "custody.transfer"
        )
        with pytest.raises(evidence.InvalidChange, match="already with"):
            service.assign_to_agency(session, incident_id, actor="t", reason="again")
    with runtime.db.session() as session:
        service.return_custody(session, incident_id, actor="test:captain", reason="case closed")
    with runtime.db.session() as session:
        assert service.custodian_of(session, rec) == "Kansas City Police Department"
        evidence.update_recording(session, rec, {"title": "OIS"}, actor="t:clerk", reason="title")
        history = service.custody_history(session, incident_id)
        assert len(history) == 1 and history[0].returned_at is not None
        back = [e for e in events_for(session, "recording", rec) if e.action == "custody.transfer"]
        assert back[-1].details["to"] == "Kansas City Police Department"


def test_investigation_state_machine_refuses_impossible_transitions(runtime: Runtime) -> None:
    none_id = _incident(runtime, "KC26-000300", [], type="non-evidentiary")
    active_id = _incident(runtime, "KC26-000301", [])
    today = date(2026, 6, 1)

    def move(incident_id: int, status: str, **kw: object) -> None:
        with runtime.db.session() as session:
            service.set_investigation_status(
                session,
                incident_id,
                status=status,
                actor="test:det",
                today=today,
                **kw,  # type: ignore[arg-type]
            )

    with pytest.raises(service.InvalidTransition, match="from none to inactive"):
        move(none_id, "inactive", reason="not-pursued")
    with pytest.raises(service.InvalidTransition, match="from active to active"):
        move(active_id, "active")
    with pytest.raises(service.InvalidTransition, match="needs a reason"):
        move(active_id, "inactive")
    with pytest.raises(service.InvalidTransition, match="needs a reason"):
        move(active_id, "inactive", reason="tired of it")
    with pytest.raises(service.InvalidTransition, match="future"):
        move(active_id, "inactive", reason="not-pursued", on=date(2026, 7, 1))
    with pytest.raises(service.InvalidTransition, match="before the incident"):
        move(active_id, "inactive", reason="not-pursued", on=date(2026, 1, 1))
    with pytest.raises(service.InvalidTransition, match="status must be"):
        move(active_id, "closed")
    move(active_id, "inactive", reason="convictions-final", on=date(2026, 5, 30))
    with pytest.raises(service.InvalidTransition, match="cannot become active again"):
        move(active_id, "active")
    with pytest.raises(service.InvalidTransition, match="from inactive to inactive"):
        move(active_id, "inactive", reason="not-pursued")
    # a decision not to pursue can be revisited
    move(none_id, "active")
    move(none_id, "inactive", reason="not-pursued", on=date(2026, 5, 20))
    move(none_id, "active")
    with runtime.db.session() as session:
        incident = service.get_incident(session, active_id)
        assert (incident.investigation_status, incident.inactive_reason, incident.status_date) == (
            "inactive",
            "convictions-final",
            date(2026, 5, 30),
        )
        events = events_for(session, "incident", active_id)
        assert events[-1].action == "investigation.status"
        assert events[-1].details["statute"] == "RSMo 610.100"
        assert events[-1].details["before"]["status"] == "active"
        assert service.get_incident(session, none_id).investigation_status == "active"


def test_limitations_date_cannot_be_after_ten_years(runtime: Runtime) -> None:
    incident_id = _incident(runtime, "KC26-000400", [])
    with (
        runtime.db.session() as session,
        pytest.raises(service.InvalidTransition, match="10 years"),
    ):
        service.set_investigation_status(
            session,
            incident_id,
            status="inactive",
            reason="limitations",
            on=date(2036, 6, 1),
            actor="t",
            today=date(2037, 1, 1),
        )


def test_incident_validation(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        with pytest.raises(evidence.InvalidChange, match="type must be"):
            service.create_incident(
                session, cad_number="X", type="picnic", started_at=T0, ended_at=T0, actor="t"
            )
        with pytest.raises(evidence.InvalidChange, match="ends before"):
            service.create_incident(
                session,
                cad_number="X",
                type="arrest",
                started_at=T0,
                ended_at=T0 - timedelta(1),
                actor="t",
            )
        with pytest.raises(evidence.InvalidChange, match="no officer"):
            service.create_incident(
                session,
                cad_number="X",
                type="arrest",
                started_at=T0,
                ended_at=T0,
                officer_badges=["999"],
                actor="t",
            )

"""Records requests in the domain: intake, the clock, pauses, delays, denials and grounds,
fees, bulk extension, matching footage, holds, verification and delivery (both back ends)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from sunlight.access import Principal
from sunlight.errors import Forbidden, InvalidChange, InvalidInput, NotFound
from sunlight.evidence.models import CustodyEvent
from sunlight.requests import service
from sunlight.requests.holds import kept_by_requests
from sunlight.requests.models import RecordsRequest, RequestEvent
from sunlight.requests.states import Status
from sunlight.retention import runner as retention
from sunlight.runtime import Runtime
from tests.requests.support import MONDAY, file, load
from tests.support.auth import make_session
from tests.support.evidence_data import add_recording

DAY = timedelta(days=1)


def _move(runtime: Runtime, request_id: int, target: Status, now: datetime, **kw: object) -> None:
    with runtime.db.session() as session:
        service.transition(
            session, service.get(session, request_id), target, actor="user:1", now=now, **kw
        )  # type: ignore[arg-type]


def test_intake_tracking_token_and_due_date(runtime: Runtime) -> None:
    first, raw = file(runtime)
    second, _ = file(runtime)
    request = load(runtime, first)
    assert request.tracking_number == "R-2026-000001"
    assert load(runtime, second).tracking_number == "R-2026-000002"
    assert request.token_sha256 == service.token_hash(raw) and raw not in request.token_sha256
    assert request.received_date == date(2026, 12, 7)
    with runtime.db.session(read_only=True) as session:
        assert service.by_token(session, raw).id == first
        with pytest.raises(NotFound):
            service.by_token(session, raw[:-1] + ("A" if raw[-1] != "A" else "B"))
        found = service.get(session, first)
        due = service.clock_of(found, now=MONDAY)
    assert due.kind == "response" and due.due == date(2026, 12, 10)
    assert due.deadline is not None and len(due.deadline.counted) == 3
    kinds = [e.kind for e in request.events]
    assert kinds == ["received", "email"]


def test_late_evening_is_that_days_request(runtime: Runtime) -> None:
    # 23:30 on Friday 11 Dec in Kansas City is 05:30 UTC on Saturday
    late = datetime.fromisoformat("2026-12-12T05:30:00+00:00")
    request_id, _ = file(runtime, now=late)
    request = load(runtime, request_id)
    assert request.received_date == date(2026, 12, 11)
    due = service.clock_of(request, now=late)
    assert due.due == date(2026, 12, 16)  # Mon, Tue, Wed
    assert [s.why for s in due.deadline.skipped][:2] == ["Saturday", "Sunday"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "bad",
    [
        {"email": "not-an-email"},
        {"name": "   "},
        {"requester_type": "sheriff"},
        {"description": ""},
        {"date_from": date(2026, 12, 2), "date_to": date(2026, 12, 1)},
        {"location": "x" * 301},
    ],
)
def test_intake_refuses_bad_input(runtime: Runtime, bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        file(runtime, **bad)
    with runtime.db.session(read_only=True) as session:
        assert session.scalars(select(RecordsRequest)).all() == []


def test_clarification_pauses_the_clock(runtime: Runtime) -> None:
    request_id, _ = file(runtime)
    _move(runtime, request_id, Status.ACKNOWLEDGED, MONDAY + timedelta(hours=1))
    # Tuesday: ask; Friday: answered. The clock stood still Tue..Fri
    _move(
        runtime,
        request_id,
        Status.CLARIFICATION_REQUESTED,
        MONDAY + DAY,
        message="Which camera: the officer's or the car's?",
    )
    paused = load(runtime, request_id)
    open_clock = service.clock_of(paused, now=MONDAY + 2 * DAY)
    assert open_clock.note.startswith("paused")
    assert open_clock.due is None and open_clock.state == "paused"
    other, _ = file(runtime)
    with runtime.db.session(read_only=True) as session:
        queued = [r.id for r, _ in service.queue(session, now=MONDAY + 2 * DAY)]
    assert queued == [other, request_id]  # a paused clock sorts after running ones
    assert paused.pauses[0].end is None
    _move(runtime, request_id, Status.IN_PROGRESS, MONDAY + 4 * DAY)
    resumed = load(runtime, request_id)
    assert resumed.pauses[0].end == MONDAY + 4 * DAY
    after = service.clock_of(resumed, now=MONDAY + 4 * DAY)
    assert after.due > date(2026, 12, 10)
    assert after.deadline is not None and after.deadline.pauses
    assert "clarification" in after.deadline.pauses[0].reason


def test_delay_needs_explanation_and_date(runtime: Runtime) -> None:
    request_id, _ = file(runtime)
    later = MONDAY + 10 * DAY
    with pytest.raises(InvalidChange, match="earliest date and time"):
        _move(runtime, request_id, Status.DELAYED, MONDAY, message="Footage is being redacted now.")
    with pytest.raises(InvalidChange, match="detailed explanation"):
        _move(runtime, request_id, Status.DELAYED, MONDAY, available_at=later)
    with pytest.raises(InvalidChange, match="detailed explanation"):
        _move(runtime, request_id, Status.DELAYED, MONDAY, message="busy", available_at=later)
    with pytest.raises(InvalidChange, match="future"):
        _move(
            runtime,
            request_id,
            Status.DELAYED,
            MONDAY,
            message="Footage is being redacted now.",
            available_at=MONDAY - DAY,
        )
    _move(
        runtime,
        request_id,
        Status.DELAYED,
        MONDAY,
        message="Footage is being redacted now.",
        available_at=later,
    )
    request = load(runtime, request_id)
    assert request.status == "delayed" and request.available_at == later
    due = service.clock_of(request, now=MONDAY)
    assert due.kind == "delay" and due.due == date(2026, 12, 17)
    assert service.clock_of(request, now=later + DAY).state == "overdue"


def test_denial_cites_provision_and_grounds_clock(runtime: Runtime) -> None:
    request_id, _ = file(runtime)
    with pytest.raises(InvalidChange, match="specific provision"):
        _move(runtime, request_id, Status.DENIED, MONDAY, message="no")
    with pytest.raises(InvalidChange, match="specific provision"):
        _move(runtime, request_id, Status.DENIED, MONDAY, message="no", provision="RSMo 1.1")
    with pytest.raises(InvalidChange, match="reason"):
        _move(runtime, request_id, Status.DENIED, MONDAY, provision="RSMo 610.100.2(1)")
    _move(
        runtime,
        request_id,
        Status.DENIED,
        MONDAY,
        message="The investigation is active.",
        provision="RSMo 610.100.2(1)",
    )
    with pytest.raises(InvalidChange, match="a denied request can be reopened, not fulfilled"):
        _move(runtime, request_id, Status.FULFILLED, MONDAY)
    asked = MONDAY + 3 * DAY  # Thursday
    with runtime.db.session() as session:
        service.request_grounds(
            session, service.get(session, request_id), actor="requester", now=asked
        )
    request = load(runtime, request_id)
    grounds = service.clock_of(request, now=asked)
    assert grounds.kind == "grounds" and grounds.due == date(2026, 12, 15)
    with runtime.db.session(read_only=True) as session:
        queued = service.queue(session, now=asked)
    assert [r.id for r, _ in queued] == [request_id]
    with runtime.db.session() as session, pytest.raises(InvalidChange, match="in full"):
        service.give_grounds(
            session, service.get(session, request_id), text="no", actor="u", now=asked
        )
    with runtime.db.session() as session:
        service.give_grounds(
            session,
            service.get(session, request_id),
            text="The incident's criminal investigation is active; RSMo 610.100.2(1) closes it.",
            actor="user:1",
            now=asked + DAY,
        )
    with runtime.db.session(read_only=True) as session:
        assert service.queue(session, now=asked) == []


def test_fees_and_prepayment_block_fulfilment(runtime: Runtime) -> None:
    request_id, _ = file(runtime)
    with runtime.db.session() as session:
        estimate = service.set_estimate(
            session,
            service.get(session, request_id),
            search_hours=1,
            review_hours=5,
            recordings=3,
            prepayment=True,
            actor="user:1",
            now=MONDAY,
        )
    assert estimate.total_cents == 2400 + 5 * 2400 and estimate.review_cents == 12000
    with pytest.raises(InvalidChange, match="prepayment"):
        _move(runtime, request_id, Status.FULFILLED, MONDAY + DAY)
    with runtime.db.session() as session:
        service.record_prepayment(
            session, service.get(session, request_id), actor="user:1", now=MONDAY, note="cheque"
        )
    _move(runtime, request_id, Status.FULFILLED, MONDAY + DAY)
    other_id, _ = file(runtime, requester_type="media")
    with runtime.db.session() as session, pytest.raises(InvalidChange, match="only above"):
        service.set_estimate(
            session,
            service.get(session, other_id),
            search_hours=0.1,
            review_hours=0,
            recordings=1,
            prepayment=True,
            actor="u",
            now=MONDAY,
        )


def test_bulk_extend_one_event_each_all_or_nothing(runtime: Runtime) -> None:
    ids = [file(runtime)[0] for _ in range(3)]
    closed, _ = file(runtime)
    _move(runtime, closed, Status.WITHDRAWN, MONDAY)
    later = MONDAY + 7 * DAY
    text = "The records unit is closed for training; footage will be reviewed after."
    with runtime.db.session() as session, pytest.raises(InvalidChange, match="R-2026-000004"):
        service.bulk_extend(
            session, [*ids, closed], explanation=text, available_at=later, actor="u", now=MONDAY
        )
    assert all(load(runtime, i).status == "received" for i in ids)
    with runtime.db.session() as session:
        events = service.bulk_extend(
            session, ids, explanation=text, available_at=later, actor="u", now=MONDAY
        )
    assert len(events) == 3
    for request_id in ids:
        request = load(runtime, request_id)
        assert request.status == "delayed" and request.available_at == later
        status_events = [e for e in request.events if e.kind == "status"]
        assert len(status_events) == 1 and text in (status_events[0].public_text or "")


def test_events_are_append_only(runtime: Runtime) -> None:
    file(runtime)
    with runtime.db.session() as session:
        event = session.scalars(select(RequestEvent)).first()
        assert event is not None
        event.kind = "rewritten"
        with pytest.raises(Exception, match="append-only"):
            session.flush()
        session.rollback()


def test_matching_is_scoped_and_holds_footage(runtime: Runtime) -> None:
    request_id, _ = file(runtime, date_from=date(2026, 12, 1), date_to=date(2026, 12, 1))
    rec = add_recording(runtime, recorded_at=datetime.fromisoformat("2026-12-01T18:00:00+00:00"))
    far = add_recording(runtime, recorded_at=datetime.fromisoformat("2026-11-01T18:00:00+00:00"))
    custodian = make_session(runtime, roles=("records-custodian",)).principal
    officer = make_session(runtime, roles=("officer",)).principal
    with runtime.db.session(read_only=True) as session:
        found = service.search_footage(
            session, custodian, date_from=date(2026, 12, 1), date_to=date(2026, 12, 1), now=MONDAY
        )
        assert [r.id for r in found.recordings] == [rec]
        assert far not in [r.id for r in found.recordings]
        seen_by_officer = service.search_footage(
            session, officer, date_from=date(2026, 12, 1), date_to=date(2026, 12, 1), now=MONDAY
        )
        assert seen_by_officer.recordings == []
    with runtime.db.session() as session, pytest.raises(NotFound):
        service.add_item(
            session,
            service.get(session, request_id),
            principal=officer,
            why="matches",
            now=MONDAY,
            recording_id=rec,
        )
    with runtime.db.session() as session:
        service.add_item(
            session,
            service.get(session, request_id),
            principal=custodian,
            why="the stop at 5th and Main",
            now=MONDAY,
            recording_id=rec,
        )
    with runtime.db.session(read_only=True) as session:
        kept = session.execute(kept_by_requests(session)).all()
    assert [(r, w) for r, w in kept] == [(rec, "records request R-2026-000001")]
    # The retention schedule asks the keeper: years later, the requested footage is kept
    # (category "requested") and the dry run says why; the unrequested one is due.
    report = retention.run(runtime, as_of=date(2030, 1, 1), dry_run=True)
    kept_by = {k["recording_id"]: k for k in report.kept_by}
    assert kept_by[rec]["rule"] == "requested"
    assert kept_by[rec]["why"] == "records request R-2026-000001"
    assert rec not in [d["recording_id"] for d in report.to_schedule]
    assert far in [d["recording_id"] for d in report.to_schedule]
    _move(runtime, request_id, Status.WITHDRAWN, MONDAY)
    with runtime.db.session(read_only=True) as session:
        assert session.execute(kept_by_requests(session)).all() == []
    report = retention.run(runtime, as_of=date(2030, 1, 1), dry_run=True)
    assert rec in [d["recording_id"] for d in report.to_schedule]


def _custodian(runtime: Runtime) -> Principal:
    return make_session(runtime, roles=("records-custodian",)).principal


def test_depicted_copy_needs_verification_first(runtime: Runtime) -> None:
    request_id, _ = file(runtime, requester_type="depicted")
    rec = add_recording(runtime, recorded_at=datetime.fromisoformat("2026-12-01T18:00:00+00:00"))
    staff = _custodian(runtime)
    with runtime.db.session() as session:
        service.add_item(
            session,
            service.get(session, request_id),
            principal=staff,
            why="my home",
            now=MONDAY,
            recording_id=rec,
            nonpublic_location=True,
        )
    with runtime.db.session() as session, pytest.raises(Forbidden, match="verify"):
        service.deliver(
            session,
            service.get(session, request_id),
            recording_id=rec,
            basis="610.100.3",
            actor=staff,
            now=MONDAY,
        )
    with runtime.db.session() as session, pytest.raises(Forbidden, match="nonpublic"):
        service.deliver(
            session,
            service.get(session, request_id),
            recording_id=rec,
            basis="open-record",
            actor=staff,
            now=MONDAY,
        )
    with runtime.db.session() as session:
        service.verify(
            session,
            service.get(session, request_id),
            actor=staff.id,
            document_type="driver-licence",
            relation="self",
            depicted_person="Jordan Example",
            notes=None,
            now=MONDAY,
        )
    with runtime.db.session() as session:
        delivery, raw = service.deliver(
            session,
            service.get(session, request_id),
            recording_id=rec,
            basis="610.100.3",
            actor=staff,
            now=MONDAY,
        )
        assert delivery.notice_text == service.NOTICE_TEXT
        delivery_id = delivery.id
    assert raw
    with runtime.db.session() as session:
        recording = service.open_delivery(
            session, service.get(session, request_id), delivery_id, now=MONDAY + DAY
        )
        assert recording.id == rec
    with runtime.db.session(read_only=True) as session:
        actions = session.scalars(
            select(CustodyEvent.action).where(CustodyEvent.object_id == str(rec))
        ).all()
    assert "share.create" in actions and "share.use" in actions
    with runtime.db.session() as session, pytest.raises(NotFound, match="expired"):
        service.open_delivery(
            session, service.get(session, request_id), delivery_id, now=MONDAY + 60 * DAY
        )
    request = load(runtime, request_id)
    delivered = [e for e in request.events if e.kind == "delivered"]
    assert "10 days' notice" in (delivered[0].public_text or "")


def test_public_requester_cannot_be_verified(runtime: Runtime) -> None:
    request_id, _ = file(runtime, requester_type="media")
    with runtime.db.session() as session, pytest.raises(InvalidChange, match=r"610\.100\.3"):
        service.verify(
            session,
            service.get(session, request_id),
            actor="u",
            document_type="state-id",
            relation="self",
            depicted_person="X",
            notes=None,
            now=MONDAY,
        )

"""Release cases end to end in the domain, on both back ends: authority, review before
release, clocks from the incident, extensions, embargo sweep, court orders, exclusions,
and retention keeping what was released."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sunlight.errors import Conflict, Forbidden, InvalidChange, InvalidInput, SecondPersonRequired
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import CustodyEvent, RecordingFlag
from sunlight.notify.models import OutboxMessage
from sunlight.release import service
from sunlight.release.states import InvalidReleaseChange
from sunlight.retention import runner as retention
from sunlight.runtime import Runtime
from tests.release.support import T0, Scenario, make_inactive, person, scenario

DAY = timedelta(days=1)


def _ready(runtime: Runtime, s: Scenario, custodian_uid: int = 1) -> int:
    """Open, add and review the candidate, hand it to the authority; the candidate id."""
    custodian = person(runtime, custodian_uid, "records-custodian")
    make_inactive(runtime, s.incident_id)
    with runtime.db.session() as session:
        service.open_case(session, s.incident_id, principal=custodian, now=T0 + 6 * DAY)
        candidate = service.add_candidate(
            session, s.incident_id, s.derived_id, principal=custodian, now=T0 + 7 * DAY
        )
        service.review_candidate(
            session,
            candidate.id,
            principal=custodian,
            plan_version=s.plan_version,
            note="faces and plates checked",
            now=T0 + 8 * DAY,
        )
        service.move(session, s.incident_id, "ready", principal=custodian, now=T0 + 8 * DAY)
        return candidate.id


def _mshp(runtime: Runtime, s: Scenario, uid: int = 50) -> object:
    return person(runtime, uid, "outside-investigator", agency_id=s.agency_id)


def test_only_the_authority_decides(runtime: Runtime) -> None:
    s = scenario(runtime)
    candidate_id = _ready(runtime, s)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session, pytest.raises(Forbidden, match="no rule grants"):
        service.decide_release(
            session,
            s.incident_id,
            principal=custodian,
            candidate_ids=[candidate_id],
            now=T0 + 10 * DAY,
        )
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        made = service.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 10 * DAY
        )
        assert made[0].released_at is not None
        case = service.get_case(session, s.incident_id)
        assert case.state == "released"
        decision = next(
            e
            for e in events_for(session, "incident", s.incident_id)
            if e.action == "release.decision"
        )
        assert decision.actor == mshp.id
        assert decision.details["rule_id"] == "critical-shooting"
        assert decision.details["policy_version"] == 2
        assert len(decision.details["policy_sha256"]) == 64
        copies = service.released_copies(session, s.incident_id)
    assert [(c.derived_recording_id, c.original_recording_id, c.public) for c in copies] == [
        (s.derived_id, s.original_id, True)
    ]


def test_department_decides_its_own_types_and_another_agency_cannot(runtime: Runtime) -> None:
    s = scenario(runtime, type="arrest", cad="KC26-000801", assign=False)
    candidate_id = _ready(runtime, s)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        service.decide_release(
            session,
            s.incident_id,
            principal=custodian,
            candidate_ids=[candidate_id],
            now=T0 + 10 * DAY,
        )
        assert service.get_case(session, s.incident_id).state == "released"


def test_footage_never_reviewed_cannot_be_released(runtime: Runtime) -> None:
    s = scenario(runtime)
    custodian = person(runtime, 1, "records-custodian")
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    make_inactive(runtime, s.incident_id)
    with runtime.db.session() as session:
        service.open_case(session, s.incident_id, principal=custodian, now=T0 + 6 * DAY)
        candidate = service.add_candidate(
            session, s.incident_id, s.derived_id, principal=custodian, now=T0 + 7 * DAY
        )
        candidate_id = candidate.id
        with pytest.raises(InvalidReleaseChange, match="no reviewed candidate"):
            service.move(session, s.incident_id, "ready", principal=custodian, now=T0 + 7 * DAY)
        with pytest.raises(InvalidChange, match="rendered from plan version 2, not 1"):
            service.review_candidate(
                session, candidate_id, principal=custodian, plan_version=1, note=None, now=T0
            )
    # a second, unreviewed candidate cannot ride along with a reviewed one
    from tests.release.support import redacted_copy

    other = redacted_copy(runtime, s.original_id, version=3)
    with runtime.db.session() as session:
        second = service.add_candidate(
            session, s.incident_id, other, principal=custodian, now=T0 + 7 * DAY
        )
        service.review_candidate(
            session, candidate_id, principal=custodian, plan_version=2, note=None, now=T0 + 8 * DAY
        )
        service.move(session, s.incident_id, "ready", principal=custodian, now=T0 + 8 * DAY)
        second_id = second.id
    with runtime.db.session() as session, pytest.raises(InvalidChange, match="never reviewed"):
        service.decide_release(
            session,
            s.incident_id,
            principal=mshp,
            candidate_ids=[candidate_id, second_id],
            now=T0 + 9 * DAY,
        )
    with runtime.db.session() as session:
        review = [
            e
            for e in events_for(session, "recording", s.derived_id)
            if e.action == "release.review"
        ]
        assert review[0].details["plan_version"] == 2
        assert service.get_case(session, s.incident_id).state == "ready"
        assert service.released_copies(session, s.incident_id) == []


def test_clocks_from_the_incident_and_pending_with_the_patrol(runtime: Runtime) -> None:
    s = scenario(runtime)
    _ready(runtime, s)  # handed to the authority on day 8
    with runtime.db.session(read_only=True) as session:
        clock = service.clock_for(session, s.incident_id, T0 + 45 * DAY)
        assert clock.authority.name == "Missouri Highway Patrol"
        assert clock.due_at == T0 + 45 * DAY  # from the incident, not from anyone being told
        assert clock.days_left == 0 and not clock.overdue
        assert clock.pending_with == "Missouri Highway Patrol" and clock.pending_days == 37
        assert clock.summary.startswith("pending with Missouri Highway Patrol for 37 days")
        assert clock.decide_due_at == T0 + 22 * DAY and clock.decide_overdue
        assert clock.delivered_at == T0 + 8 * DAY and not clock.deliver_overdue
        assert [(g.party, g.days) for g in clock.segments] == [
            ("department", 2.0),
            ("authority", 37.0),
        ]
        late = service.clock_for(session, s.incident_id, T0 + 50 * DAY)
        assert late.overdue and late.days_left == -5
        early = service.clock_for(session, s.incident_id, T0 + 8 * DAY)
        assert early.pending_days == 0 and not early.decide_overdue


def test_extensions_need_basis_and_date_and_stop_at_the_cap(runtime: Runtime) -> None:
    s = scenario(runtime)
    _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    custodian = person(runtime, 1, "records-custodian")
    now = T0 + 40 * DAY
    basis = "witness interviews pending; release would compromise the investigation"
    with runtime.db.session() as session:
        with pytest.raises(InvalidChange, match="written, specific basis"):
            service.extend(
                session,
                s.incident_id,
                principal=mshp,
                basis="busy",
                estimated_release=date(2026, 7, 1),
                now=now,
            )
        with pytest.raises(InvalidChange, match="estimated release date"):
            service.extend(
                session, s.incident_id, principal=mshp, basis=basis, estimated_release=None, now=now
            )
        with pytest.raises(InvalidChange, match="after the extended due date"):
            service.extend(
                session,
                s.incident_id,
                principal=mshp,
                basis=basis,
                estimated_release=date(2026, 12, 1),
                now=now,
            )
        with pytest.raises(Forbidden):
            service.extend(
                session,
                s.incident_id,
                principal=custodian,
                basis=basis,
                estimated_release=date(2026, 7, 1),
                now=now,
            )
    with runtime.db.session() as session:
        for granted in range(1, 13):  # 12 x 30 = 360 days: within the 365-day cap
            due = (T0 + timedelta(days=45 + 30 * granted)).date()
            service.extend(
                session, s.incident_id, principal=mshp, basis=basis, estimated_release=due, now=now
            )
        with pytest.raises(InvalidChange, match="capped at 365 days in all; 360 days"):
            service.extend(
                session,
                s.incident_id,
                principal=mshp,
                basis=basis,
                estimated_release=date(2027, 6, 1),
                now=now,
            )
        clock = service.clock_for(session, s.incident_id, now)
        assert clock.extension_days == 360 and clock.due_at == T0 + timedelta(days=405)


def test_embargo_sweep_warns_before_and_releases_at_the_time(runtime: Runtime) -> None:
    s = scenario(runtime)
    candidate_id = _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    lifts = T0 + 20 * DAY
    with runtime.db.session() as session:
        with pytest.raises(InvalidChange, match="in the future"):
            service.decide_release(
                session,
                s.incident_id,
                principal=mshp,
                candidate_ids=[candidate_id],
                embargo_until=T0,
                now=T0 + 10 * DAY,
            )
        made = service.decide_release(
            session,
            s.incident_id,
            principal=mshp,
            candidate_ids=[candidate_id],
            embargo_until=lifts,
            now=T0 + 10 * DAY,
        )
        release_id = made[0].id
        assert service.get_case(session, s.incident_id).state == "ready"
    assert service.sweep(runtime.db, lifts - 2 * DAY) == service.SweepReport([], [])
    assert service.sweep(runtime.db, lifts - timedelta(hours=23)) == service.SweepReport(
        [release_id], []
    )
    assert service.sweep(runtime.db, lifts - timedelta(hours=1)) == service.SweepReport([], [])
    with runtime.db.session(read_only=True) as session:
        assert service.released_copies(session, s.incident_id) == []
    assert service.sweep(runtime.db, lifts) == service.SweepReport([], [release_id])
    assert service.sweep(runtime.db, lifts + DAY) == service.SweepReport([], [])
    with runtime.db.session(read_only=True) as session:
        case = service.get_case(session, s.incident_id)
        assert case.state == "released" and case.transitions[-1].actor == "system:release"
        copies = service.released_copies(session, s.incident_id)
        assert copies[0].released_at == lifts
        warning = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == "release.embargo-warning")
        ).one()
        assert warning.details["release_id"] == release_id
        mail = session.scalars(select(OutboxMessage)).one()  # warned once, through the outbox
        assert mail.to_addr == "records-unit@kcpd.example"
        assert mail.topic == f"incident:{s.incident_id}"
        assert mail.subject.startswith("Embargo lifts") and mail.queued_at == lifts - timedelta(
            hours=23
        )


def test_withhold_needs_statute_and_reason_and_reconsider(runtime: Runtime) -> None:
    s = scenario(runtime)
    _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        with pytest.raises(InvalidReleaseChange, match="both the statute"):
            service.withhold(
                session, s.incident_id, principal=mshp, statute="", reason="x", now=T0 + 9 * DAY
            )
        # an overlong statute is refused, never cut short
        with pytest.raises(InvalidInput, match="statute is 201 characters long"):
            service.withhold(
                session, s.incident_id, principal=mshp, statute="S" * 201, reason="x", now=T0
            )
        case = service.withhold(
            session,
            s.incident_id,
            principal=mshp,
            statute="RSMo 610.100.2(3)",
            reason="recorded inside a residence",
            now=T0 + 9 * DAY,
        )
        assert (case.state, case.withheld_statute) == ("withheld", "RSMo 610.100.2(3)")
        settled = service.clock_for(session, s.incident_id, T0 + 400 * DAY)
        assert not settled.overdue and settled.pending_with is None
        service.move(session, s.incident_id, "in-review", principal=mshp, now=T0 + 12 * DAY)
        assert service.get_case(session, s.incident_id).state == "in-review"


def test_court_order_drives_the_case_and_opens_excluded_footage(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000901")
    candidate_id = _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        session.add(
            RecordingFlag(
                recording_id=s.original_id, kind="minor", reason="a child", created_by="t"
            )
        )
    with runtime.db.session() as session, pytest.raises(InvalidChange, match="vulnerable people"):
        service.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 9 * DAY
        )
    with runtime.db.session() as session:
        petition = service.file_petition(
            session,
            s.incident_id,
            principal=custodian,
            court="16th Judicial Circuit",
            case_number="2616-CV01234",
            petitioner="Kansas City Star",
            filed_on=date(2026, 6, 1),
            now=T0 + 30 * DAY,
        )
        with pytest.raises(InvalidChange, match="needs the conditions"):
            service.record_order(
                session,
                petition.id,
                principal=custodian,
                outcome="conditions",
                ordered_on=date(2026, 6, 20),
                now=T0 + 43 * DAY,
            )
        order = service.record_order(
            session,
            petition.id,
            principal=custodian,
            outcome="release",
            ordered_on=date(2026, 6, 20),
            candidate_ids=[candidate_id],
            now=T0 + 43 * DAY,
        )
        # recorded, not yet in force: one person alone releases nothing
        case = service.get_case(session, s.incident_id)
        assert case.state != "released-by-court-order" and case.releases == []
        assert (order.candidate_ids, order.confirmed_at) == ([candidate_id], None)
        with pytest.raises(SecondPersonRequired, match="another person must confirm"):
            service.confirm_order(session, order.id, principal=custodian, now=T0 + 43 * DAY)
        with pytest.raises(Forbidden):  # an investigator holds no release:court-confirm
            service.confirm_order(session, order.id, principal=mshp, now=T0 + 43 * DAY)
        second = person(runtime, 2, "records-custodian")
        service.confirm_order(session, order.id, principal=second, now=T0 + 44 * DAY)
        assert (order.confirmed_by, order.confirmed_at) == ("user:2", T0 + 44 * DAY)
        with pytest.raises(Conflict, match="already confirmed"):
            service.confirm_order(
                session, order.id, principal=person(runtime, 3, "internal-affairs"), now=T0
            )
        session.expire_all()
        case = service.get_case(session, s.incident_id)
        assert case.state == "released-by-court-order"
        assert case.transitions[-1].statute == "RSMo 610.100"
        assert case.releases[0].court_order_id is not None
        with pytest.raises(InvalidReleaseChange, match="final and cannot be undone"):
            service.withhold(
                session,
                s.incident_id,
                principal=mshp,
                statute="RSMo 610.100.2(3)",
                reason="late",
                now=T0 + 45 * DAY,
            )


def test_closed_while_investigation_active(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000902")
    custodian = person(runtime, 1, "records-custodian")
    with runtime.db.session() as session:
        case = service.open_case(session, s.incident_id, principal=custodian, now=T0 + DAY)
        assert case.state == "closed"
        with pytest.raises(InvalidReleaseChange, match=r"RSMo 610.100.2\(1\)"):
            service.move(session, s.incident_id, "in-review", principal=custodian, now=T0 + DAY)
        with pytest.raises(InvalidChange, match="already has a release case"):
            service.open_case(session, s.incident_id, principal=custodian, now=T0 + DAY)
        with pytest.raises(InvalidChange, match="not a redacted copy"):
            service.add_candidate(
                session, s.incident_id, s.original_id, principal=custodian, now=T0 + DAY
            )


def test_retention_keeps_released_footage_and_says_why(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000903")
    candidate_id = _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        case_id = service.get_case(session, s.incident_id).id
    # Prepared (not yet released): the redacted copy, which no incident claims, is kept anyway.
    far = date(2030, 1, 1)
    report = retention.run(runtime, as_of=far, dry_run=True)
    kept = {k["recording_id"]: k for k in report.kept_by}
    assert kept[s.derived_id]["why"] == f"prepared for release under release case {case_id}"
    assert not [d for d in report.to_schedule if d["recording_id"] == s.derived_id]
    with runtime.db.session() as session:
        service.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 9 * DAY
        )
    report = retention.run(runtime, as_of=far, dry_run=True)
    kept = {k["recording_id"]: k for k in report.kept_by}
    assert kept[s.derived_id]["rule"] == "released"
    assert kept[s.derived_id]["why"] == f"released under release case {case_id}"
    assert {k["why"] for k in kept[s.original_id]["keepers"]} >= {
        f"original of a copy released under release case {case_id}"
    }
    assert report.to_dict()["counts"]["kept_by"] >= 2


def test_nonpublic_location_is_closed_by_default(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000904")
    candidate_id = _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    with runtime.db.session() as session:
        session.add(
            RecordingFlag(
                recording_id=s.original_id,
                kind="nonpublic-location",
                reason="inside a residence",
                created_by="t",
            )
        )
    with (
        runtime.db.session() as session,
        pytest.raises(InvalidChange, match=r"nonpublic location: closed by default \(RSMo 610"),
    ):
        service.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 9 * DAY
        )
    with runtime.db.session() as session:
        flag = session.scalars(
            select(RecordingFlag).where(RecordingFlag.recording_id == s.original_id)
        ).one()
        flag.cleared_at, flag.cleared_by = T0 + 9 * DAY, "test:clerk"
    with runtime.db.session() as session:
        made = service.decide_release(
            session, s.incident_id, principal=mshp, candidate_ids=[candidate_id], now=T0 + 9 * DAY
        )
        assert made[0].released_at == T0 + 9 * DAY


def test_sending_back_calls_off_an_embargoed_release(runtime: Runtime) -> None:
    s = scenario(runtime, cad="KC26-000905")
    candidate_id = _ready(runtime, s)
    mshp = person(runtime, 50, "outside-investigator", agency_id=s.agency_id)
    lifts = T0 + 20 * DAY
    with runtime.db.session() as session:
        made = service.decide_release(
            session,
            s.incident_id,
            principal=mshp,
            candidate_ids=[candidate_id],
            embargo_until=lifts,
            now=T0 + 10 * DAY,
        )
        release_id = made[0].id
    with runtime.db.session() as session:
        service.move(
            session, s.incident_id, "in-review", principal=mshp, now=T0 + 11 * DAY, reason="blur"
        )
        case = service.get_case(session, s.incident_id)
        assert case.releases[0].cancelled_at == T0 + 11 * DAY
        assert case.transitions[-1].to_state == "in-review"
    assert service.sweep(runtime.db, lifts + DAY) == service.SweepReport([], [])
    with runtime.db.session(read_only=True) as session:
        assert service.released_copies(session, s.incident_id) == []
        event = events_for(session, "incident", s.incident_id)[-1]
        assert event.details["cancelled_release_ids"] == [release_id]

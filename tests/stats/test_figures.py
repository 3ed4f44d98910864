"""Figures over generated data with known answers, on both back ends: requests received,
fulfilled and overdue with median business days; hours per month; cameras by funding;
incidents with and without footage; activation compliance without one-officer units;
accesses by role and purpose and to First Amendment footage; the threshold from the
policy file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sunlight.access.models import Agency
from sunlight.access.users import create_user
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import Device
from sunlight.incidents import service as incidents
from sunlight.requests import service as requests
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from sunlight.stats import service
from sunlight.stats.figures import Figure, Range
from tests.support.evidence_data import add_officer, add_recording

#: Monday 7 December 2026, 10:00 in Kansas City.
NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
YEAR = Range(datetime(2026, 1, 1).date(), NOW.date())
#: Monday 2 November 2026, 10:00 in Kansas City.
NOV2 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


def table(figure: Figure) -> dict[tuple[str, ...], dict[str, Any]]:
    """Row labels -> {measure: value, or "<5" when small, or "withheld"}."""
    out: dict[tuple[str, ...], dict[str, Any]] = {}
    for labels, cells in figure.table.rows:
        out[labels] = {
            name: ("<5" if c.why == "small" else "withheld" if c.suppressed else c.value)
            for name, c in cells.items()
        }
    return out


def get(runtime: Runtime, slug: str, rng: Range = YEAR) -> dict[tuple[str, ...], dict[str, Any]]:
    return table(service.figure(runtime, slug, rng, NOW))


def file_requests(runtime: Runtime, n: int, *, at: datetime = NOV2) -> list[int]:
    ids = []
    with runtime.db.session() as session:
        for i in range(n):
            request, _ = requests.file_request(
                session,
                name=f"Requester {i}",
                email=f"r{i}@example.org",
                requester_type="public",
                description="Footage of the stop on Main Street.",
                now=at,
            )
            ids.append(request.id)
    return ids


def act(runtime: Runtime, ids: list[int], target: Status, at: datetime, **kw: Any) -> None:
    with runtime.db.session() as session:
        for request_id in ids:
            found = requests.get(session, request_id)
            requests.transition(session, found, target, actor="test:clerk", now=at, **kw)


def test_seven_requests_three_overdue_are_fewer_than_five(runtime: Runtime) -> None:
    ids = file_requests(runtime, 7)
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    found = get(runtime, "records-requests")
    assert found[("Received",)]["requests"] == 7
    assert found[("Open and overdue",)]["requests"] == "<5"
    assert found[("Fulfilled",)]["requests"] == "<5"
    assert found[("Denied",)]["requests"] == 0
    figure = service.figure(runtime, "records-requests", YEAR, NOW)
    cell = dict(figure.table.rows)[("Open and overdue",)]["requests"]
    assert cell.display(5) == "fewer than 5"


def test_a_lone_small_outcome_withholds_the_next_smallest(runtime: Runtime) -> None:
    ids = file_requests(runtime, 12)
    act(runtime, ids[:9], Status.FULFILLED, NOV2 + timedelta(days=1))
    found = get(runtime, "records-requests")
    assert found[("Received",)]["requests"] == 12
    assert found[("Open and overdue",)]["requests"] == "<5"
    # 12 - 0 - 0 - 0 - 0 would give the overdue 3 away: the 9 fulfilled are withheld too
    assert found[("Fulfilled",)]["requests"] == "withheld"
    assert found[("Open, not overdue",)]["requests"] == 0


def test_median_business_days_to_respond_and_to_release(runtime: Runtime) -> None:
    ids = file_requests(runtime, 10)
    # Received Monday 2 Nov: Tuesday is business day 1, Thursday business day 3.
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    act(runtime, ids[4:9], Status.FULFILLED, NOV2 + timedelta(days=3))
    act(
        runtime,
        ids[9:],
        Status.DENIED,
        NOV2 + timedelta(days=2),
        message="No record answers the request.",
        provision="no-records",
    )
    found = get(runtime, "request-response-times")
    respond = found[("To respond (fulfil, deny, or delay with an explanation)",)]
    release = found[("To release records (fulfilled in whole or in part)",)]
    # respond: 1,1,1,1,2,3,3,3,3,3 -> median 2.5; release: 1,1,1,1,3,3,3,3,3 -> 3
    assert respond == {"requests": 10, "median_business_days": 2.5}
    assert release == {"requests": 9, "median_business_days": 3.0}


def test_a_median_over_fewer_than_five_requests_is_hidden(runtime: Runtime) -> None:
    ids = file_requests(runtime, 3)
    act(runtime, ids, Status.FULFILLED, NOV2 + timedelta(days=1))
    found = get(runtime, "request-response-times")
    assert found[("To respond (fulfil, deny, or delay with an explanation)",)] == {
        "requests": "<5",
        "median_business_days": "<5",
    }


def test_twelve_hours_over_two_months(runtime: Runtime) -> None:
    march = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    april = datetime(2026, 4, 20, 12, 0, tzinfo=UTC)
    for i in range(5):
        add_recording(runtime, recorded_at=march + timedelta(hours=2 * i), duration_s=3600)
    for i in range(7):
        add_recording(runtime, recorded_at=april + timedelta(hours=2 * i), duration_s=3600)
    for i in range(2):  # May: two recordings, so its hours are not shown either
        add_recording(runtime, recorded_at=datetime(2026, 5, 1 + i, tzinfo=UTC), duration_s=60)
    found = get(runtime, "hours-recorded")
    assert found[("2026-03",)] == {"recordings": 5, "hours": 5.0}
    assert found[("2026-04",)] == {"recordings": 7, "hours": 7.0}
    assert found[("2026-05",)] == {"recordings": "<5", "hours": "<5"}
    assert found[("2026-06",)] == {"recordings": 0, "hours": 0.0}
    assert len(found) == 12  # one row per month of the range, January to December
    two = Range(datetime(2026, 3, 1).date(), datetime(2026, 4, 30).date())
    hours = [row["hours"] for row in get(runtime, "hours-recorded", two).values()]
    assert hours == [5.0, 7.0] and sum(hours) == 12.0


def test_cameras_in_service_by_funding_source(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        plan = [("Public Safety Foundation grant", 6), ("City general fund", 8), (None, 1)]
        n = 0
        for source, count in plan:
            for _ in range(count):
                n += 1
                session.add(Device(serial=f"S{n}", vendor="V", model="M", funding_source=source))
        session.add(Device(serial="RETIRED", vendor="V", model="M", status="retired"))
    found = get(runtime, "cameras")
    assert found[("All cameras in service",)] == {"cameras": 15}
    assert found[("Not recorded",)] == {"cameras": "<5"}
    assert found[("Public Safety Foundation grant",)] == {"cameras": "withheld"}
    assert found[("City general fund",)] == {"cameras": 8}


def _incident(runtime: Runtime, cad: str, kind: str, at: datetime, badges: list[str]) -> int:
    with runtime.db.session() as session:
        found = incidents.create_incident(
            session,
            cad_number=cad,
            type=kind,
            started_at=at,
            ended_at=at + timedelta(minutes=30),
            officer_badges=badges,
            actor="test:clerk",
        )
        return found.id


def test_incidents_by_type_with_and_without_footage(runtime: Runtime) -> None:
    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    for i in range(8):
        incident = _incident(runtime, f"T{i}", "traffic-stop", at + timedelta(hours=i), [])
        if i < 6:
            rec = add_recording(runtime, recorded_at=at + timedelta(hours=i))
            with runtime.db.session() as session:
                incidents.link_recording(session, incident, rec, actor="test:clerk")
    for i in range(5):
        _incident(runtime, f"A{i}", "arrest", at + timedelta(days=1, hours=i), [])
    found = get(runtime, "incidents-by-type")
    assert found[("arrest",)] == {"incidents": 5, "with_footage": 0, "without_footage": 5}
    # 2 without footage: small; its row partner (6 with footage) is withheld with it
    assert found[("traffic-stop",)] == {
        "incidents": 8,
        "with_footage": "withheld",
        "without_footage": "<5",
    }


def test_activation_never_shows_a_one_officer_unit(runtime: Runtime) -> None:
    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    units = {"Alpha": ["101", "102"], "Bravo": ["201", "202", "203"], "Solo": ["301"]}
    officers = {}
    for unit, badges in units.items():
        for badge in badges:
            officers[badge] = add_officer(runtime, badge, f"Officer {badge}", unit)
    n = 0
    for badge, officer in officers.items():
        for i in range(6):  # six arrests each; footage for the first four
            n += 1
            when = at + timedelta(days=n)
            _incident(runtime, f"C{n}", "arrest", when, [badge])
            if i < 4:
                add_recording(runtime, recorded_at=when + timedelta(minutes=5), officer_id=officer)
    found = get(runtime, "camera-activation")
    assert list(found) == [("Department-wide",), ("Bravo",), ("Other units (combined)",)]
    assert found[("Department-wide",)] == {
        "expected": 36,
        "with_footage": 24,
        "without_footage": 12,
        "percent_with_footage": pytest.approx(66.7),
    }
    # Solo (one officer) is pooled with the next smallest unit, Alpha: three officers
    assert found[("Other units (combined)",)]["expected"] == 18
    assert found[("Bravo",)]["with_footage"] == 12


def _user(runtime: Runtime, name: str, *roles: str) -> str:
    with runtime.db.session() as session:
        agency = session.scalars(select(Agency.id).where(Agency.kind == "department")).first()
        assert agency is not None
        user = create_user(
            session,
            username=name,
            display_name=name,
            agency_id=agency,
            roles=list(roles),
            actor="test:admin",
        )
        return f"user:{user.id}"


def _access(
    runtime: Runtime, actor: str, rec: int, reason: str | None, n: int, *, ok: bool = True
) -> None:
    with runtime.db.session() as session:
        for i in range(n):
            record(
                session,
                actor=actor,
                action=Action.VIEW if ok else Action.ACCESS_DENIED,
                object_type="recording",
                object_id=rec,
                outcome=Outcome.SUCCESS if ok else Outcome.DENIED,
                reason=reason,
                at=datetime(2026, 7, 1, 12, i, tzinfo=UTC),
            )


def test_access_by_role_and_purpose_and_to_first_amendment_footage(runtime: Runtime) -> None:
    at = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assembly = _incident(runtime, "FA1", "first-amendment-assembly", at, [])
    protest = add_recording(runtime, recorded_at=at)
    other = add_recording(runtime, recorded_at=at)
    with runtime.db.session() as session:
        incidents.link_recording(session, assembly, protest, actor="test:clerk")
    detective = _user(runtime, "det", "officer")
    auditor = _user(runtime, "ia", "internal-affairs")
    _access(runtime, detective, other, "report-writing: case 26-100, Jane Roe", 7)
    _access(runtime, detective, protest, "criminal-investigation: 26-555", 6)
    _access(runtime, auditor, protest, "complaint: C-12", 2)
    _access(runtime, auditor, protest, "curious", 5, ok=False)
    found = get(runtime, "footage-access")
    assert found[("officer", "Writing or reviewing a report")] == {"accesses": 7, "refused": 0}
    assert found[("officer", "Criminal investigation (give the case number)")] == {
        "accesses": 6,
        "refused": 0,
    }
    assert found[("internal-affairs", "Reason in own words only")] == {
        "accesses": 0,
        "refused": 5,
    }
    assert found[("internal-affairs", "Misconduct complaint (give the complaint number)")] == {
        "accesses": "<5",
        "refused": 0,
    }
    assembly_found = get(runtime, "first-amendment-access")
    assert set(assembly_found) == {
        ("Criminal investigation (give the case number)",),
        ("Misconduct complaint (give the complaint number)",),
        ("Reason in own words only",),
    }
    # 2 complaint accesses: small; 6 for investigations withheld with it
    assert assembly_found[("Criminal investigation (give the case number)",)] == {
        "accesses": "withheld",
        "refused": 0,
    }
    text = repr(service.figures(runtime, YEAR, NOW))
    assert "Jane Roe" not in text and "26-555" not in text  # typed words never published


def test_threshold_comes_from_the_policy_file(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "stats.yaml"
    policy.write_text("version: 2\nsmall_cell_threshold: 3\nmin_officers_per_row: 2\n")
    monkeypatch.setenv("SUNLIGHT_STATS_POLICY", str(policy))
    ids = file_requests(runtime, 7)
    act(runtime, ids[:4], Status.FULFILLED, NOV2 + timedelta(days=1))
    found = get(runtime, "records-requests")
    assert found[("Open and overdue",)]["requests"] == 3
    assert found[("Fulfilled",)]["requests"] == 4


def test_a_bad_policy_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sunlight.stats.policy import load_stats_policy

    policy = tmp_path / "stats.yaml"
    policy.write_text("version: 1\nsmall_cell_threshold: 1\nextra: true\n")
    monkeypatch.setenv("SUNLIGHT_STATS_POLICY", str(policy))
    with pytest.raises(Exception, match="stats policy"):
        load_stats_policy()

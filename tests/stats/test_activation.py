"""The camera-activation figure on generated data with known answers, on both back ends.

Each officer-incident pair below is labelled by hand (footage or not) for the cases the
database now decides: a recording linked to the incident (the officer's, or only another
officer's), footage overlapping the incident widened by ten minutes to the microsecond
(ending exactly at its start, a microsecond short; starting exactly at its end, a
microsecond late), durations whose microseconds Python rounds half to even, no duration,
no recorded time, the incident's month with a day either side (a long incident crossing
the month's end, footage on the window's edges), incidents outside the range's months,
types where no footage is expected, officers with no footage, a month with no
incidents, units of one officer and officers with no unit (none or empty). The figure's
per-officer counts are checked against those labels and against the monthly compliance
report it used to be summed from, and its rows (pooled units) against sums by hand. A
second test draws random incidents and footage around those edges and compares each
month's counts, officer by officer, with the report's."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from sunlight.compliance import service as compliance
from sunlight.compliance.policy import load_policy
from sunlight.evidence.models import Officer, Recording
from sunlight.incidents.models import Incident, IncidentOfficer, IncidentRecording
from sunlight.runtime import Runtime
from sunlight.stats.figures import NO_UNIT, OTHER_UNITS, Range, activation
from sunlight.stats.policy import load_stats_policy
from sunlight.stats.suppress import RawRow

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
SLACK = timedelta(minutes=10)


class World:
    """Rows straight into the tables (the figure reads nothing else)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.n = 0

    def officer(self, badge: str, unit: str | None) -> int:
        officer = Officer(badge_number=badge, name=f"Officer {badge}", unit=unit)
        self.session.add(officer)
        self.session.flush()
        return officer.id

    def incident(self, kind: str, start: datetime, end: datetime, crew: list[int]) -> int:
        self.n += 1
        incident = Incident(cad_number=f"G{self.n:05d}", type=kind, started_at=start, ended_at=end)
        self.session.add(incident)
        self.session.flush()
        for officer in crew:
            self.session.add(IncidentOfficer(incident_id=incident.id, officer_id=officer))
        self.session.flush()
        return incident.id

    def recording(
        self,
        officer: int | None,
        at: datetime | None,
        duration: float | None = 600.0,
        *,
        linked_to: int | None = None,
    ) -> int:
        self.n += 1
        recording = Recording(
            sha256=f"{self.n:064x}",
            size_bytes=1,
            original_filename=f"BWC_{self.n}.mp4",
            officer_id=officer,
            recorded_at=at,
            ingested_at=(at or NOW) + timedelta(hours=1),
            ingest_source="cli",
            playable=True,
            duration_s=duration,
        )
        self.session.add(recording)
        self.session.flush()
        if linked_to is not None:
            self.session.add(
                IncidentRecording(
                    incident_id=linked_to, recording_id=recording.id, how="manual", linked_by="t"
                )
            )
            self.session.flush()
        return recording.id


def from_report(session: Session, rng: Range) -> dict[int, tuple[str, int, int]]:
    """officer -> (unit, expected, missing) summed from the monthly compliance reports."""
    out: dict[int, tuple[str, int, int]] = {}
    for month in rng.months():
        for row in compliance.report(session, month)["by_officer"]:
            if row["expected_footage"]:
                _, n, lacking = out.get(row["officer_id"], ("", 0, 0))
                out[row["officer_id"]] = (
                    row["unit"],
                    n + row["expected_footage"],
                    lacking + row["missing_footage"],
                )
    return out


def counted(session: Session, rng: Range) -> dict[int, tuple[str, int, int]]:
    """officer -> (unit, expected, missing) as the figure now counts them."""
    out: dict[int, tuple[str, int, int]] = {}
    for month in rng.months():
        for officer, unit, n, lacking in compliance.expected_footage_by_officer(session, month):
            _, n0, lacking0 = out.get(officer, ("", 0, 0))
            out[officer] = (unit or compliance.UNASSIGNED, n0 + n, lacking0 + lacking)
    return out


def values(expected: int, missing: int) -> dict[str, float | int | None]:
    return {
        "expected": expected,
        "with_footage": expected - missing,
        "without_footage": missing,
        "percent_with_footage": round(100 * (expected - missing) / expected, 1),
    }


def test_activation_edges_counted_by_hand(runtime: Runtime) -> None:
    rng = Range(date(2026, 1, 15), date(2026, 6, 10))  # January to June, whole months
    with runtime.db.session() as session:
        w = World(session)
        o = {
            badge: w.officer(badge, unit)
            for badge, unit in [
                ("A1", "Alpha"),
                ("A2", "Alpha"),
                ("A3", "Alpha"),
                ("B1", "Bravo"),
                ("B2", "Bravo"),
                ("F1", "Bravo"),  # never any footage
                ("S1", "Solo"),  # the only officer of a unit
                ("N1", None),
                ("N2", ""),
                ("Z1", "Alpha"),  # only on incidents that do not count
            ]
        }
        # (officer badge, incident) -> footage? : the labels, by hand
        truth: dict[tuple[str, int], bool] = {}

        # 3 January (before the range's first day, in its first month)
        t = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)
        i1 = w.incident("arrest", t, t + timedelta(minutes=30), [o["A1"], o["A2"], o["F1"]])
        w.recording(o["A1"], t + timedelta(minutes=5))
        # A2's own recording is linked, though made months away
        w.recording(o["A2"], datetime(2026, 3, 20, tzinfo=UTC), linked_to=i1)
        w.recording(o["A3"], t, linked_to=i1)  # A3 is not on the incident
        truth |= {("A1", i1): True, ("A2", i1): True, ("F1", i1): False}

        # a long incident from 31 January into February: January's window ends on
        # 2 February 00:00, exclusive
        t = datetime(2026, 1, 31, 23, 55, tzinfo=UTC)
        i2 = w.incident("arrest", t, datetime(2026, 2, 2, 1, 0, tzinfo=UTC), [o["A3"], o["B1"]])
        w.recording(o["A3"], datetime(2026, 2, 1, 23, 59, 59, 999999, tzinfo=UTC))
        w.recording(o["B1"], datetime(2026, 2, 2, 0, 0, tzinfo=UTC))
        truth |= {("A3", i2): True, ("B1", i2): False}

        # no footage expected for "other" incidents
        i3 = w.incident("other", t, t + timedelta(minutes=30), [o["Z1"]])
        w.recording(o["Z1"], t)
        del i3

        # 1 February 00:05: February's window starts on 31 January 00:00, inclusive
        t = datetime(2026, 2, 1, 0, 5, tzinfo=UTC)
        i4 = w.incident("use-of-force", t, t + timedelta(minutes=30), [o["B2"], o["S1"]])
        # ends exactly at the start less the slack (31 January 23:55)
        w.recording(o["B2"], datetime(2026, 1, 31, tzinfo=UTC), 86100.0)
        w.recording(o["S1"], datetime(2026, 1, 30, 23, 59, 59, 999999, tzinfo=UTC), 172800.0)
        truth |= {("B2", i4): True, ("S1", i4): False}

        # 10 February, to the microsecond (a fraction SQLite would round to milliseconds)
        t = datetime(2026, 2, 10, 12, 0, 0, 999999, tzinfo=UTC)
        crew = ["N1", "N2", "A1", "A2", "A3", "B1", "B2", "S1", "F1"]
        i5 = w.incident("arrest", t, t + timedelta(minutes=30), [o[b] for b in crew])
        start, end = t - SLACK, t + timedelta(minutes=30) + SLACK
        # 0.0078125 s is 7812.5 microseconds: Python rounds it to 7812 (half to even)
        w.recording(o["N1"], start - 7812 * US, 0.0078125)  # ends exactly at the start
        w.recording(o["N2"], start - 7813 * US, 0.0078125)  # a microsecond short
        w.recording(o["A1"], end, 60.0)  # starts exactly at the end
        w.recording(o["A2"], end + US, 60.0)  # a microsecond late
        # 0.0234375 s is 23437.5 microseconds: rounded to 23438 (half to even)
        w.recording(o["A3"], start - 23438 * US, 0.0234375)
        w.recording(o["B1"], start, None)  # no duration: a moment, at the start
        w.recording(o["B2"], start - US, None)  # a moment, a microsecond before
        w.recording(o["S1"], None, 3600.0)  # no recorded time: never footage
        w.recording(None, t, linked_to=i5)  # linked, but nobody's
        truth |= {
            ("N1", i5): True,
            ("N2", i5): False,
            ("A1", i5): True,
            ("A2", i5): False,
            ("A3", i5): True,
            ("B1", i5): True,
            ("B2", i5): False,
            ("S1", i5): False,
            ("F1", i5): False,
        }

        # nothing in March; April: a traffic stop, N1 only on another officer's link
        t = datetime(2026, 4, 5, 10, 0, tzinfo=UTC)
        crew = ["A1", "A2", "A3", "B1", "B2", "N1"]
        i6 = w.incident("traffic-stop", t, t + timedelta(minutes=20), [o[b] for b in crew])
        for badge in crew[:-1]:
            w.recording(o[badge], t + timedelta(minutes=1), linked_to=i6 if badge == "A1" else None)
        truth |= {(b, i6): b != "N1" for b in crew}

        # 30 June, after the range's last day, in its last month
        t = datetime(2026, 6, 30, 23, 0, tzinfo=UTC)
        i8 = w.incident("arrest", t, t + timedelta(minutes=30), [o["A1"], o["F1"]])
        w.recording(o["A1"], t)
        truth |= {("A1", i8): True, ("F1", i8): False}

        # outside the range's months: not counted
        t = datetime(2026, 7, 1, tzinfo=UTC)
        w.incident("arrest", t, t + timedelta(minutes=30), [o["A1"], o["Z1"]])
        t = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        w.incident("arrest", t, t + timedelta(minutes=30), [o["A2"], o["Z1"]])

    expected_pairs: Counter[str] = Counter()
    missing_pairs: Counter[str] = Counter()
    for (badge, _), has in truth.items():
        expected_pairs[badge] += 1
        missing_pairs[badge] += not has
    assert dict(expected_pairs) == {
        "A1": 4, "A2": 3, "A3": 3, "B1": 3, "B2": 3, "F1": 3, "S1": 2, "N1": 2, "N2": 1
    }  # fmt: skip
    assert dict(missing_pairs) == {
        "A1": 0, "A2": 1, "A3": 0, "B1": 1, "B2": 1, "F1": 3, "S1": 2, "N1": 1, "N2": 1
    }  # fmt: skip
    unit = {"A": "Alpha", "B": "Bravo", "F": "Bravo", "S": "Solo", "N": compliance.UNASSIGNED}
    by_hand = {
        o[b]: (unit[b[0]], expected_pairs[b], missing_pairs[b]) for b in sorted(expected_pairs)
    }
    with runtime.db.session(read_only=True) as session:
        assert counted(session, rng) == by_hand
        assert from_report(session, rng) == by_hand
        rows = activation(session, rng, NOW, load_stats_policy().policy)
    # Solo (one officer) is pooled with the next smallest unit: no unit (two officers)
    assert rows == [
        RawRow(("Department-wide",), values(24, 10)),
        RawRow(("Alpha",), values(10, 1), group="units"),
        RawRow(("Bravo",), values(9, 5), group="units"),
        RawRow((OTHER_UNITS,), values(5, 4), group="units"),
    ]
    assert NO_UNIT not in {r.labels[0] for r in rows}


EDGES = [timedelta(0), US, -US, SLACK, -SLACK, timedelta(minutes=3), timedelta(days=1)]
DURATIONS = [None, 0.0, 1.0, 0.0078125, 0.0234375, 0.5, 599.9999995, 600.0, 90000.0]


def test_activation_matches_the_report_on_random_data(runtime: Runtime) -> None:
    """Random crews and footage around the edges, over three months and their borders:
    each month's counts, officer by officer, equal the compliance report's."""
    r = random.Random(24)
    rng = Range(date(2026, 3, 1), date(2026, 5, 31))
    with runtime.db.session() as session:
        w = World(session)
        units = ["Alpha", "Alpha", "Bravo", "Bravo", "Bravo", "Solo", None, ""]
        officers = [w.officer(f"R{i}", u) for i, u in enumerate(units)]
        kinds = ["arrest", "traffic-stop", "other", "homicide", "non-evidentiary"]
        first = datetime(2026, 2, 27, tzinfo=UTC)
        for _ in range(70):
            start = first + timedelta(
                seconds=r.randrange(0, 100 * 86400), microseconds=r.randrange(2)
            )
            if r.random() < 0.2:  # near a month's turn
                start = datetime(2026, r.randrange(3, 7), 1, tzinfo=UTC) - r.choice(EDGES)
            end = start + r.choice([timedelta(0), timedelta(minutes=30), timedelta(days=2)])
            crew = r.sample(officers, r.randrange(0, 4))
            incident = w.incident(r.choice(kinds), start, end, crew)
            for officer in [*crew, r.choice(officers)]:
                for _ in range(r.randrange(0, 3)):
                    anchor = r.choice([start - SLACK, end + SLACK, start, end])
                    at = anchor + r.choice(EDGES) * r.choice([1, -1])
                    duration = r.choice(DURATIONS)
                    if duration is not None and r.random() < 0.5 and at < start - SLACK:
                        # end near the widened start, to the microsecond
                        gap = start - SLACK - at
                        if gap < timedelta(days=3):
                            duration = gap.total_seconds() + r.choice([0.0, 1e-6, -1e-6, 0.0078125])
                    linked = incident if r.random() < 0.15 else None
                    w.recording(
                        officer, at if r.random() < 0.95 else None, duration, linked_to=linked
                    )
    with runtime.db.session(read_only=True) as session:
        total = 0
        for month in [compliance.Month(2026, m) for m in range(2, 8)]:
            report = compliance.report(session, month, load_policy())
            want = [
                (row["officer_id"], row["unit"], row["expected_footage"], row["missing_footage"])
                for row in report["by_officer"]
                if row["expected_footage"]
            ]
            got = [
                (officer, unit or compliance.UNASSIGNED, n, lacking)
                for officer, unit, n, lacking in compliance.expected_footage_by_officer(
                    session, month
                )
            ]
            assert sorted(got) == sorted(want), str(month)
            total += sum(n for _, _, n, _ in got)
        assert total > 40  # the draw did give pairs to count
        assert counted(session, rng) == from_report(session, rng)


def test_activation_with_nothing_counted(runtime: Runtime) -> None:
    month = compliance.Month(2026, 1)
    with runtime.db.session(read_only=True) as session:
        assert compliance.expected_footage_by_officer(session, month) == []
        rng = Range(month.start.date(), month.start.date())
        rows = activation(session, rng, NOW, load_stats_policy().policy)
    assert rows == [
        RawRow(
            ("Department-wide",),
            {"expected": 0, "with_footage": 0, "without_footage": 0, "percent_with_footage": None},
        )
    ]

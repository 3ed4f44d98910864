"""Compliance: were cameras on, and was footage uploaded on time?

For a month (UTC) the report finds incidents that should have footage and have none,
involved officers without footage, late uploads and recordings no incident claims, with
counts per unit, officer and month. The aggregate part names nobody and is marked
publishable for the public portal. The review queue draws recordings at random for
supervisors to check against policy.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased, selectinload

from sunlight.compliance.models import ReviewItem
from sunlight.compliance.policy import CompliancePolicy, load_policy
from sunlight.db.base import UTCDateTime
from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Device, Officer, Recording
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.incidents.models import Incident, IncidentOfficer, IncidentRecording
from sunlight.incidents.service import SUGGESTION_SLACK

UNASSIGNED = "(no unit)"
REVIEW_OUTCOMES = ("compliant", "issue-found")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        try:
            parsed = datetime.strptime(value, "%Y-%m")
        except ValueError as exc:
            raise InvalidChange(f"month must be YYYY-MM, not {value!r}") from exc
        return cls(parsed.year, parsed.month)

    @classmethod
    def previous(cls, now: datetime | None = None) -> Month:
        first = (now or datetime.now(UTC)).replace(day=1)
        last = first - timedelta(days=1)
        return cls(last.year, last.month)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        year, month = (self.year + 1, 1) if self.month == 12 else (self.year, self.month + 1)
        return datetime(year, month, 1, tzinfo=UTC)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


#: Rows read per query: the report streams a month's recordings in batches of this many.
BATCH_SIZE = 2000


def _made_at() -> ColumnElement[datetime]:
    """When a recording was made (its recorded time, else when it was ingested); indexed
    together with the id (migration 0010) so a month is a range of that index."""
    return func.coalesce(Recording.recorded_at, Recording.ingested_at)


def _counts() -> dict[str, int]:
    return {
        "incidents": 0,
        "expected_footage": 0,
        "missing_footage": 0,
        "recordings": 0,
        "late_uploads": 0,
        "uncategorised": 0,
    }


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _footage_by_officer(
    session: Session, month: Month, batch_size: int
) -> dict[int, list[tuple[datetime, datetime]]]:
    """(start, end) of each recording that could cover the month's incidents (a day of
    slack either side), by officer: small tuples, a batch of rows at a time."""
    found: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    rows = session.execute(
        select(Recording.officer_id, Recording.recorded_at, Recording.duration_s)
        .where(
            Recording.recorded_at.is_not(None),
            Recording.recorded_at >= month.start - timedelta(days=1),
            Recording.recorded_at < month.end + timedelta(days=1),
            Recording.officer_id.is_not(None),
        )
        .execution_options(yield_per=batch_size)
    )
    for row in rows:
        began = row.recorded_at
        found[row.officer_id].append((began, began + timedelta(seconds=row.duration_s or 0)))
    return found


def _month_recordings(session: Session, month: Month, batch_size: int) -> Iterator[Sequence[Any]]:
    """The month's recordings (by when they were made) with their officer, in batches:
    keyset pagination over (made_at, id), each batch one short indexed query."""
    made = _made_at()
    last: tuple[datetime, int] | None = None
    while True:
        query = (
            select(
                Recording.id,
                made.label("made_at"),
                Recording.recorded_at,
                Recording.ingested_at,
                Recording.deleted_at,
                Recording.device_id,
                Officer.id.label("officer_id"),
                Officer.badge_number,
                Officer.name,
                Officer.unit,
            )
            .outerjoin(Officer, Officer.id == Recording.officer_id)
            .where(made < month.end)
            .order_by(made, Recording.id)
            .limit(batch_size)
        )
        if last is None:
            query = query.where(made >= month.start)
        else:  # seek into the index where the last batch ended, not the month's start
            last_made = bindparam("last_made", last[0], UTCDateTime())
            query = query.where(made >= last_made, or_(made > last_made, Recording.id > last[1]))
        rows = session.execute(query).all()
        if rows:
            yield rows
        if len(rows) < batch_size:
            return
        last = (rows[-1].made_at, rows[-1].id)


def report(
    session: Session,
    month: Month,
    policy: CompliancePolicy | None = None,
    *,
    batch_size: int = BATCH_SIZE,
) -> dict[str, Any]:
    """The month's compliance report. Reads selected columns only, the month's recordings a
    batch at a time, so memory depends on the month's volume, never the archive's size."""
    policy = policy or load_policy()
    late_after = timedelta(hours=policy.late_upload_after_hours)
    incidents = session.execute(
        select(
            Incident.id,
            Incident.cad_number,
            Incident.type,
            Incident.unit,
            Incident.started_at,
            Incident.ended_at,
        )
        .where(Incident.started_at >= month.start, Incident.started_at < month.end)
        .order_by(Incident.started_at, Incident.id)
    ).all()
    by_officer = _footage_by_officer(session, month, batch_size)

    per_unit: dict[str, dict[str, int]] = defaultdict(_counts)
    per_officer: dict[int, dict[str, Any]] = {}
    totals = _counts()

    def officer_row(officer_id: int, badge: str, name: str, unit: str | None) -> dict[str, Any]:
        if officer_id not in per_officer:
            per_officer[officer_id] = {
                "officer_id": officer_id,
                "badge_number": badge,
                "name": name,
                "unit": unit or UNASSIGNED,
                **_counts(),
            }
        return per_officer[officer_id]

    without_footage: list[dict[str, Any]] = []
    officers_without: list[dict[str, Any]] = []
    for chunk in _chunks(incidents, batch_size):
        ids = [incident.id for incident in chunk]
        crews: dict[int, list[Any]] = defaultdict(list)
        for row in session.execute(
            select(
                IncidentOfficer.incident_id,
                Officer.id,
                Officer.badge_number,
                Officer.name,
                Officer.unit,
            )
            .join(Officer, Officer.id == IncidentOfficer.officer_id)
            .where(IncidentOfficer.incident_id.in_(ids))
            .order_by(IncidentOfficer.id)
        ):
            crews[row.incident_id].append(row)
        linked: dict[int, list[int | None]] = defaultdict(list)
        for link in session.execute(
            select(IncidentRecording.incident_id, Recording.officer_id)
            .join(Recording, Recording.id == IncidentRecording.recording_id)
            .where(IncidentRecording.incident_id.in_(ids))
        ):
            linked[link.incident_id].append(link.officer_id)
        for incident in chunk:
            unit = incident.unit or UNASSIGNED
            totals["incidents"] += 1
            per_unit[unit]["incidents"] += 1
            if incident.type not in policy.footage_expected_types:
                continue
            filmed_by = linked.get(incident.id, [])
            crew = crews.get(incident.id, [])
            start = incident.started_at - SUGGESTION_SLACK
            end = incident.ended_at + SUGGESTION_SLACK
            missing = 0
            for officer in crew:
                counts = officer_row(officer.id, officer.badge_number, officer.name, officer.unit)
                counts["incidents"] += 1
                counts["expected_footage"] += 1
                totals["expected_footage"] += 1
                per_unit[unit]["expected_footage"] += 1
                footage = by_officer.get(officer.id, [])
                has = officer.id in filmed_by or any(
                    began <= end and ended >= start for began, ended in footage
                )
                if not has:
                    missing += 1
                    counts["missing_footage"] += 1
                    totals["missing_footage"] += 1
                    per_unit[unit]["missing_footage"] += 1
                    officers_without.append(
                        {
                            "incident_id": incident.id,
                            "cad_number": incident.cad_number,
                            "type": incident.type,
                            "started_at": incident.started_at.isoformat(),
                            "unit": unit,
                            "officer_id": officer.id,
                            "badge_number": officer.badge_number,
                            "name": officer.name,
                        }
                    )
            covered = missing < len(crew) or (not crew and filmed_by)
            if not covered:
                without_footage.append(
                    {
                        "incident_id": incident.id,
                        "cad_number": incident.cad_number,
                        "type": incident.type,
                        "started_at": incident.started_at.isoformat(),
                        "unit": unit,
                        "officers": [officer.badge_number for officer in crew],
                    }
                )
    del by_officer

    late: list[dict[str, Any]] = []
    uncategorised: list[dict[str, Any]] = []
    active_devices: set[int] = set()
    for batch in _month_recordings(session, month, batch_size):
        linked_ids = set(
            session.scalars(
                select(IncidentRecording.recording_id).where(
                    IncidentRecording.recording_id.in_([rec.id for rec in batch])
                )
            )
        )
        for rec in batch:
            if rec.device_id is not None:
                active_devices.add(rec.device_id)
            unit = rec.unit or UNASSIGNED
            targets: list[dict[str, Any]] = [totals, per_unit[unit]]
            if rec.officer_id is not None:
                targets.append(officer_row(rec.officer_id, rec.badge_number, rec.name, rec.unit))
            for target in targets:
                target["recordings"] += 1
            summary = {
                "recording_id": rec.id,
                "recorded_at": rec.recorded_at.isoformat() if rec.recorded_at else None,
                "ingested_at": rec.ingested_at.isoformat(),
                "unit": unit,
                "badge_number": rec.badge_number,
                "name": rec.name,
            }
            if rec.recorded_at is not None and rec.ingested_at - rec.recorded_at > late_after:
                hours = (rec.ingested_at - rec.recorded_at).total_seconds() / 3600
                late.append(
                    {**summary, "hours_late": round(hours - policy.late_upload_after_hours, 1)}
                )
                for target in targets:
                    target["late_uploads"] += 1
            if rec.id not in linked_ids and rec.deleted_at is None:
                uncategorised.append(summary)
                for target in targets:
                    target["uncategorised"] += 1
    late.sort(key=lambda item: int(item["recording_id"]))
    uncategorised.sort(key=lambda item: int(item["recording_id"]))

    # Cameras in service that uploaded nothing made in the month.
    silent = [
        {"device_id": d.id, "serial": d.serial, "funding_source": d.funding_source}
        for d in session.execute(
            select(Device.id, Device.serial, Device.funding_source)
            .where(Device.status == "in-service")
            .order_by(Device.serial)
        )
        if d.id not in active_devices
    ]
    totals["cameras_without_uploads"] = len(silent)

    return {
        "month": str(month),
        "policy_version": policy.version,
        "late_upload_after_hours": policy.late_upload_after_hours,
        "incidents_without_footage": without_footage,
        "officers_without_footage": officers_without,
        "late_uploads": late,
        "uncategorised": uncategorised,
        "cameras_without_uploads": silent,
        "by_unit": {unit: dict(counts) for unit, counts in sorted(per_unit.items())},
        "by_officer": sorted(per_officer.values(), key=lambda r: (r["unit"], r["badge_number"])),
        "totals": totals,
        "public": publishable(str(month), totals, per_unit, policy),
    }


def _epoch_us(column: Any, dialect: str) -> ColumnElement[int]:
    """A UTC time column as whole microseconds since 1970, exactly (integers, never a
    floating day count): PostgreSQL's epoch is an exact numeric; SQLite holds naive UTC
    text ``YYYY-MM-DD HH:MM:SS.ffffff`` (``UTCDateTime``), read as whole seconds (the
    text before the fraction, which SQLite itself would round to milliseconds) plus the
    six digits of the fraction."""
    if dialect == "postgresql":
        return cast(func.extract("epoch", column) * 1_000_000, BigInteger)
    seconds = cast(func.strftime("%s", func.substr(column, 1, 19)), BigInteger)
    return seconds * 1_000_000 + cast(func.substr(column, 21, 6), BigInteger)


def _ends_by(
    began_us: ColumnElement[int], duration: Any, at_us: ColumnElement[int], dialect: str
) -> ColumnElement[bool]:
    """``began + timedelta(seconds=duration or 0) >= at`` (microseconds since 1970)
    exactly as Python adds: the whole seconds exactly, and the fraction times a million
    as a double, rounded to the nearest microsecond with ties to even. With ``need`` the
    microseconds the fraction must make up (an integer), round(f) >= need exactly when
    f > need - 1/2, or f is need - 1/2 and ``need`` is even."""
    seconds = func.coalesce(duration, cast(0.0, Float))
    # toward zero, as Python's modf: SQLite's CAST truncates, PostgreSQL's rounds
    whole = cast(func.trunc(seconds) if dialect == "postgresql" else seconds, BigInteger)
    fraction = (seconds - whole) * cast(1_000_000.0, Float)
    need = at_us - began_us - whole * 1_000_000
    half = need - cast(0.5, Float)
    return or_(fraction > half, and_(fraction == half, need % 2 == 0))


def expected_footage_by_officer(
    session: Session, month: Month, policy: CompliancePolicy | None = None
) -> list[tuple[int, str | None, int, int]]:
    """The month's ``by_officer`` footage counts of :func:`report`, counted in the
    database: (officer id, the officer's unit, officer-incidents where footage was
    expected, of which without footage), for officers with any expected.

    An officer on an incident of a type where footage is expected has footage when a
    recording of theirs is linked to the incident, or one of their recordings made (its
    recorded time) within the incident's month, a day of slack either side, overlaps the
    incident widened by ``SUGGESTION_SLACK``, compared in whole microseconds as
    :func:`report` compares Python datetimes."""
    policy = policy or load_policy()
    dialect = session.get_bind().dialect.name
    slack_us = SUGGESTION_SLACK // timedelta(microseconds=1)
    filmed = aliased(Recording)
    footage = aliased(Recording)
    linked = (
        exists()
        .where(
            IncidentRecording.incident_id == Incident.id,
            filmed.id == IncidentRecording.recording_id,
            filmed.officer_id == IncidentOfficer.officer_id,
        )
        .correlate(Incident, IncidentOfficer)
    )
    began = _epoch_us(footage.recorded_at, dialect)
    overlapping = (
        exists()
        .where(
            footage.officer_id == IncidentOfficer.officer_id,
            footage.recorded_at.is_not(None),
            footage.recorded_at >= month.start - timedelta(days=1),
            footage.recorded_at < month.end + timedelta(days=1),
            began <= _epoch_us(Incident.ended_at, dialect) + slack_us,
            _ends_by(
                began,
                footage.duration_s,
                _epoch_us(Incident.started_at, dialect) - slack_us,
                dialect,
            ),
        )
        .correlate(Incident, IncidentOfficer)
    )
    missing = case((or_(linked, overlapping), 0), else_=1)
    rows = session.execute(
        select(IncidentOfficer.officer_id, Officer.unit, func.count(), func.sum(missing))
        .join(Incident, Incident.id == IncidentOfficer.incident_id)
        .join(Officer, Officer.id == IncidentOfficer.officer_id)
        .where(
            Incident.started_at >= month.start,
            Incident.started_at < month.end,
            Incident.type.in_(sorted(policy.footage_expected_types)),
        )
        .group_by(IncidentOfficer.officer_id, Officer.unit)
        .order_by(IncidentOfficer.officer_id)
    ).all()
    return [(int(o), unit, int(n), int(lacking)) for o, unit, n, lacking in rows]


def publishable(
    month: str,
    totals: dict[str, int],
    per_unit: dict[str, dict[str, int]],
    policy: CompliancePolicy,
) -> dict[str, Any]:
    """Aggregate figures only: no names, badge numbers, CAD numbers or recording ids."""
    return {
        "publishable": True,
        "month": month,
        "late_upload_after_hours": policy.late_upload_after_hours,
        "totals": dict(totals),
        "by_unit": {unit: dict(counts) for unit, counts in sorted(per_unit.items())},
    }


# -- random review ----------------------------------------------------------------------


def draw_review_sample(
    session: Session,
    month: Month,
    *,
    actor: str,
    per_unit: int | None = None,
    policy: CompliancePolicy | None = None,
) -> list[ReviewItem]:
    """Draw up to ``per_unit`` recordings per unit from the month, at random (a CSPRNG:
    nobody can predict which recordings a supervisor will see), skipping ones drawn before."""
    policy = policy or load_policy()
    per_unit = per_unit or policy.review_sample_per_unit
    already = set(
        session.scalars(select(ReviewItem.recording_id).where(ReviewItem.month == str(month)))
    )
    by_unit: dict[str, list[int]] = defaultdict(list)
    for batch in _month_recordings(session, month, BATCH_SIZE):
        for rec in batch:
            if rec.id not in already and rec.deleted_at is None:
                by_unit[rec.unit or UNASSIGNED].append(rec.id)
    rng = secrets.SystemRandom()
    drawn = []
    for unit, recs in sorted(by_unit.items()):
        for recording_id in rng.sample(recs, min(per_unit, len(recs))):
            item = ReviewItem(
                recording_id=recording_id, month=str(month), unit=unit, drawn_by=actor
            )
            session.add(item)
            drawn.append(item)
    session.flush()
    return drawn


def review_queue(
    session: Session,
    month: Month | None = None,
    *,
    open_only: bool = False,
    where: ColumnElement[bool] | None = None,
) -> list[ReviewItem]:
    """Drawn review items. ``where`` is the caller's scope over recordings
    (``access.visible(principal, Permission.RECORDING_LIST)``): a supervisor's queue holds
    the unit's recordings."""
    query = select(ReviewItem).options(
        selectinload(ReviewItem.recording).selectinload(Recording.officer)
    )
    if where is not None:
        query = query.where(ReviewItem.recording_id.in_(select(Recording.id).where(where)))
    if month is not None:
        query = query.where(ReviewItem.month == str(month))
    if open_only:
        query = query.where(ReviewItem.reviewed_at.is_(None))
    return list(
        session.scalars(query.order_by(ReviewItem.month.desc(), ReviewItem.unit, ReviewItem.id))
    )


def complete_review(
    session: Session, item_id: int, *, outcome: str, notes: str, actor: str, now: datetime
) -> ReviewItem:
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidChange(f"outcome must be one of {', '.join(REVIEW_OUTCOMES)}")
    if outcome == "issue-found" and not notes.strip():
        raise InvalidChange("describe the issue found")
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFound(f"no review item {item_id}")
    if item.reviewed_at is not None:
        raise InvalidChange(f"review item {item_id} was already reviewed")
    item.reviewed_at = now
    item.reviewed_by = actor
    item.outcome = outcome
    item.notes = notes.strip() or None
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.REVIEW,
        object_type="recording",
        object_id=item.recording_id,
        reason=item.notes,
        details={"review_item_id": item.id, "month": item.month, "outcome": outcome},
    )
    return item

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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from sunlight.compliance.models import ReviewItem
from sunlight.compliance.policy import CompliancePolicy, load_policy
from sunlight.db.base import utcnow
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


def _end(recording: Recording) -> datetime:
    assert recording.recorded_at is not None
    return recording.recorded_at + timedelta(seconds=recording.duration_s or 0)


def _when(recording: Recording) -> datetime:
    return recording.recorded_at or recording.ingested_at


def _counts() -> dict[str, int]:
    return {
        "incidents": 0,
        "expected_footage": 0,
        "missing_footage": 0,
        "recordings": 0,
        "late_uploads": 0,
        "uncategorised": 0,
    }


def report(
    session: Session, month: Month, policy: CompliancePolicy | None = None
) -> dict[str, Any]:
    policy = policy or load_policy()
    late_after = timedelta(hours=policy.late_upload_after_hours)
    incidents = list(
        session.scalars(
            select(Incident)
            .options(
                selectinload(Incident.officers).selectinload(IncidentOfficer.officer),
                selectinload(Incident.links).selectinload(IncidentRecording.recording),
            )
            .where(Incident.started_at >= month.start, Incident.started_at < month.end)
            .order_by(Incident.started_at, Incident.id)
        )
    )
    # Recordings that could cover the month's incidents (a day of slack either side).
    nearby = list(
        session.scalars(
            select(Recording)
            .options(selectinload(Recording.officer))
            .where(
                Recording.recorded_at.is_not(None),
                Recording.recorded_at >= month.start - timedelta(days=1),
                Recording.recorded_at < month.end + timedelta(days=1),
            )
        )
    )
    by_officer: dict[int, list[Recording]] = defaultdict(list)
    for rec in nearby:
        if rec.officer_id is not None:
            by_officer[rec.officer_id].append(rec)

    per_unit: dict[str, dict[str, int]] = defaultdict(_counts)
    per_officer: dict[int, dict[str, Any]] = {}
    totals = _counts()

    def officer_row(officer: Officer) -> dict[str, Any]:
        if officer.id not in per_officer:
            per_officer[officer.id] = {
                "officer_id": officer.id,
                "badge_number": officer.badge_number,
                "name": officer.name,
                "unit": officer.unit or UNASSIGNED,
                **_counts(),
            }
        return per_officer[officer.id]

    without_footage: list[dict[str, Any]] = []
    officers_without: list[dict[str, Any]] = []
    for incident in incidents:
        unit = incident.unit or UNASSIGNED
        totals["incidents"] += 1
        per_unit[unit]["incidents"] += 1
        if incident.type not in policy.footage_expected_types:
            continue
        linked = [lk.recording for lk in incident.links]
        start = incident.started_at - SUGGESTION_SLACK
        end = incident.ended_at + SUGGESTION_SLACK
        missing = []
        for io in incident.officers:
            officer = io.officer
            row = officer_row(officer)
            row["incidents"] += 1
            row["expected_footage"] += 1
            totals["expected_footage"] += 1
            per_unit[unit]["expected_footage"] += 1
            has = any(r.officer_id == officer.id for r in linked) or any(
                r.recorded_at is not None and r.recorded_at <= end and _end(r) >= start
                for r in by_officer.get(officer.id, [])
            )
            if not has:
                missing.append(officer)
                row["missing_footage"] += 1
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
        covered = len(missing) < len(incident.officers) or (not incident.officers and linked)
        if not covered:
            without_footage.append(
                {
                    "incident_id": incident.id,
                    "cad_number": incident.cad_number,
                    "type": incident.type,
                    "started_at": incident.started_at.isoformat(),
                    "unit": unit,
                    "officers": [io.officer.badge_number for io in incident.officers],
                }
            )

    recordings = list(
        session.scalars(
            select(Recording)
            .options(selectinload(Recording.officer))
            .where(
                func.coalesce(Recording.recorded_at, Recording.ingested_at) >= month.start,
                func.coalesce(Recording.recorded_at, Recording.ingested_at) < month.end,
            )
            .order_by(Recording.id)
        )
    )
    linked_ids = set(
        session.scalars(
            select(IncidentRecording.recording_id).where(
                IncidentRecording.recording_id.in_([r.id for r in recordings])
            )
        )
    )
    late: list[dict[str, Any]] = []
    uncategorised: list[dict[str, Any]] = []
    for rec in recordings:
        unit = rec.officer.unit if rec.officer and rec.officer.unit else UNASSIGNED
        counts = officer_row(rec.officer) if rec.officer else None
        targets: list[dict[str, Any]] = [totals, per_unit[unit]]
        if counts is not None:
            targets.append(counts)
        for target in targets:
            target["recordings"] += 1
        summary = {
            "recording_id": rec.id,
            "recorded_at": rec.recorded_at.isoformat() if rec.recorded_at else None,
            "ingested_at": rec.ingested_at.isoformat(),
            "unit": unit,
            "badge_number": rec.officer.badge_number if rec.officer else None,
            "name": rec.officer.name if rec.officer else None,
        }
        if rec.recorded_at is not None and rec.ingested_at - rec.recorded_at > late_after:
            hours = (rec.ingested_at - rec.recorded_at).total_seconds() / 3600
            late.append({**summary, "hours_late": round(hours - policy.late_upload_after_hours, 1)})
            for target in targets:
                target["late_uploads"] += 1
        if rec.id not in linked_ids and rec.deleted_at is None:
            uncategorised.append(summary)
            for target in targets:
                target["uncategorised"] += 1

    # Cameras in service that uploaded nothing made in the month.
    active_devices = {rec.device_id for rec in recordings if rec.device_id is not None}
    silent = [
        {"device_id": d.id, "serial": d.serial, "funding_source": d.funding_source}
        for d in session.scalars(
            select(Device).where(Device.status == "in-service").order_by(Device.serial)
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
    candidates = session.scalars(
        select(Recording)
        .options(selectinload(Recording.officer))
        .where(
            Recording.deleted_at.is_(None),
            func.coalesce(Recording.recorded_at, Recording.ingested_at) >= month.start,
            func.coalesce(Recording.recorded_at, Recording.ingested_at) < month.end,
        )
    ).all()
    by_unit: dict[str, list[Recording]] = defaultdict(list)
    for rec in candidates:
        if rec.id not in already:
            by_unit[rec.officer.unit if rec.officer and rec.officer.unit else UNASSIGNED].append(
                rec
            )
    rng = secrets.SystemRandom()
    drawn = []
    for unit, recs in sorted(by_unit.items()):
        for rec in rng.sample(recs, min(per_unit, len(recs))):
            item = ReviewItem(recording_id=rec.id, month=str(month), unit=unit, drawn_by=actor)
            session.add(item)
            drawn.append(item)
    session.flush()
    return drawn


def review_queue(
    session: Session, month: Month | None = None, *, open_only: bool = False
) -> list[ReviewItem]:
    query = select(ReviewItem).options(
        selectinload(ReviewItem.recording).selectinload(Recording.officer)
    )
    if month is not None:
        query = query.where(ReviewItem.month == str(month))
    if open_only:
        query = query.where(ReviewItem.reviewed_at.is_(None))
    return list(
        session.scalars(query.order_by(ReviewItem.month.desc(), ReviewItem.unit, ReviewItem.id))
    )


def complete_review(
    session: Session, item_id: int, *, outcome: str, notes: str, actor: str
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
    item.reviewed_at = utcnow()
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

"""Retention: which rule keeps each recording how long, legal holds, and the deletion run.

The run is deliberately slow to destroy anything: a recording that its longest rule lets
go is first *scheduled* (a custody event), stays for the grace period in which anyone
may undo it, and only a later run deletes its bytes, after re-checking every rule and
guard, leaving a tombstone custody event with the hash. Nothing on legal hold, in an
outside agency's custody or linked to an active investigation is ever deleted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, record
from sunlight.evidence.guards import Operation, refusal
from sunlight.evidence.models import Recording
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.incidents.service import custodian_of, incidents_for_recording
from sunlight.retention.guards import open_holds
from sunlight.retention.models import LegalHold, RetentionDeletion
from sunlight.retention.policy import (
    Category,
    KeepAfterClose,
    KeepDays,
    LoadedPolicy,
    load_policy,
)
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:retention"


@dataclass(frozen=True)
class CategoryOutcome:
    category: str
    delete_on: date | None  # None: not while the rule holds (indefinite, or case open)
    why: str


@dataclass
class Decision:
    recording_id: int
    sha256: str
    filename: str
    recorded_on: date
    categories: list[CategoryOutcome]
    rule: str
    delete_on: date | None
    why: str
    blocked_by: str | None = None
    pending_deletion_id: int | None = None

    def due(self, as_of: date) -> bool:
        return self.delete_on is not None and self.delete_on <= as_of

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["recorded_on"] = self.recorded_on.isoformat()
        doc["delete_on"] = self.delete_on.isoformat() if self.delete_on else None
        doc["categories"] = [
            {**asdict(c), "delete_on": c.delete_on.isoformat() if c.delete_on else None}
            for c in self.categories
        ]
        return doc


def _recorded_on(recording: Recording) -> date:
    return (recording.recorded_at or recording.ingested_at).astimezone(UTC).date()


def _outcome(category: Category, recorded_on: date, incidents: list[Incident]) -> CategoryOutcome:
    keep = category.keep
    if isinstance(keep, KeepDays):
        return CategoryOutcome(
            category.name, recorded_on + timedelta(days=keep.days), f"{keep.days} days"
        )
    if isinstance(keep, KeepAfterClose):
        latest: date | None = recorded_on
        reasons = []
        for incident in incidents:
            if incident.investigation_status == "active":
                return CategoryOutcome(
                    category.name, None, f"incident {incident.cad_number}: investigation active"
                )
            closed = (
                incident.status_date
                if incident.investigation_status == "inactive" and incident.status_date
                else incident.ended_at.astimezone(UTC).date()
            )
            reasons.append(f"{incident.cad_number} closed {closed.isoformat()}")
            latest = max(latest or closed, closed)
        assert latest is not None
        days = keep.days_after_case_closed
        return CategoryOutcome(
            category.name,
            latest + timedelta(days=days),
            f"case closed plus {days} days ({'; '.join(reasons) or 'no incident'})",
        )
    return CategoryOutcome(category.name, None, "kept indefinitely")


def decide(loaded: LoadedPolicy, recording: Recording, incidents: list[Incident]) -> Decision:
    """Apply every category the recording falls in; the longest retention wins."""
    policy = loaded.policy
    recorded_on = _recorded_on(recording)
    by_category: dict[str, list[Incident]] = defaultdict(list)
    for incident in incidents:
        by_category[policy.category_for_type(incident.type).name].append(incident)
    if not by_category:  # a recording that no incident claims
        by_category[policy.unclaimed_category] = []
    outcomes = [
        _outcome(policy.category(name), recorded_on, claimed)
        for name, claimed in sorted(by_category.items())
    ]
    indefinite = [o for o in outcomes if o.delete_on is None]
    winner = indefinite[0] if indefinite else max(outcomes, key=lambda o: (o.delete_on, o.category))
    why = winner.why
    if not incidents:
        why = f"no incident claims it, so {policy.unclaimed_category}: {why}"
    return Decision(
        recording_id=recording.id,
        sha256=recording.sha256,
        filename=recording.original_filename,
        recorded_on=recorded_on,
        categories=outcomes,
        rule=winner.category,
        delete_on=winner.delete_on,
        why=why,
    )


def _live_recordings(session: Session, recording_ids: list[int] | None = None) -> list[Recording]:
    query = select(Recording).where(Recording.deleted_at.is_(None)).order_by(Recording.id)
    if recording_ids is not None:
        query = query.where(Recording.id.in_(recording_ids))
    return list(session.scalars(query))


def _incidents_by_recording(
    session: Session, recording_ids: list[int] | None = None
) -> dict[int, list[Incident]]:
    query = select(IncidentRecording).options(selectinload(IncidentRecording.incident))
    if recording_ids is not None:
        query = query.where(IncidentRecording.recording_id.in_(recording_ids))
    found: dict[int, list[Incident]] = defaultdict(list)
    for link in session.scalars(query):
        found[link.recording_id].append(link.incident)
    return found


def evaluate(
    session: Session, loaded: LoadedPolicy, recording_ids: list[int] | None = None
) -> list[Decision]:
    recordings = _live_recordings(session, recording_ids)
    incidents = _incidents_by_recording(session, recording_ids)
    pending = {
        d.recording_id: d.id
        for d in session.scalars(
            select(RetentionDeletion).where(RetentionDeletion.status == "pending")
        )
    }
    decisions = []
    for recording in recordings:
        decision = decide(loaded, recording, incidents.get(recording.id, []))
        decision.pending_deletion_id = pending.get(recording.id)
        decisions.append(decision)
    return decisions


def decision_for(session: Session, recording_id: int) -> Decision | None:
    found = evaluate(session, load_policy(), [recording_id])
    return found[0] if found else None


# -- holds ------------------------------------------------------------------------------


def place_hold(
    session: Session,
    *,
    reason: str,
    actor: str,
    recording_id: int | None = None,
    incident_id: int | None = None,
) -> LegalHold:
    if not reason or not reason.strip():
        raise InvalidChange("a legal hold needs a reason (case, subpoena, complaint, ...)")
    if (recording_id is None) == (incident_id is None):
        raise InvalidChange("a hold is on one recording or on one incident")
    affected: list[int]
    if recording_id is not None:
        recording = session.get(Recording, recording_id)
        if recording is None:
            raise NotFound(f"no recording {recording_id}")
        if recording.deleted_at is not None:
            raise InvalidChange(f"recording {recording_id} was already deleted")
        affected = [recording_id]
    else:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise NotFound(f"no incident {incident_id}")
        affected = [lk.recording_id for lk in incident.links]
    hold = LegalHold(
        recording_id=recording_id, incident_id=incident_id, reason=reason.strip(), placed_by=actor
    )
    session.add(hold)
    session.flush()
    details = {"hold_id": hold.id, "incident_id": incident_id}
    if incident_id is not None:
        record(
            session,
            actor=actor,
            action=Action.HOLD,
            object_type="incident",
            object_id=incident_id,
            reason=hold.reason,
            details={**details, "recordings": affected},
        )
    for rid in affected:
        record(
            session,
            actor=actor,
            action=Action.HOLD,
            object_type="recording",
            object_id=rid,
            reason=hold.reason,
            details=details,
        )
    return hold


def release_hold(session: Session, hold_id: int, *, actor: str, reason: str) -> LegalHold:
    if not reason or not reason.strip():
        raise InvalidChange("releasing a legal hold needs a reason")
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}")
    if hold.released_at is not None:
        raise InvalidChange(f"legal hold {hold_id} was already released")
    hold.released_at = utcnow()
    hold.released_by = actor
    hold.release_reason = reason.strip()
    session.flush()
    if hold.recording_id is not None:
        targets = [("recording", hold.recording_id)]
    else:
        assert hold.incident_id is not None
        incident = session.get(Incident, hold.incident_id)
        links = incident.links if incident else []
        targets = [("incident", hold.incident_id)] + [
            ("recording", lk.recording_id) for lk in links
        ]
    for object_type, object_id in targets:
        record(
            session,
            actor=actor,
            action=Action.HOLD_RELEASE,
            object_type=object_type,
            object_id=object_id,
            reason=hold.release_reason,
            details={"hold_id": hold.id, "released_at": hold.released_at.isoformat()},
        )
    return hold


def list_holds(session: Session, *, open_only: bool = True) -> list[LegalHold]:
    query = select(LegalHold).options(
        selectinload(LegalHold.recording), selectinload(LegalHold.incident)
    )
    if open_only:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query.order_by(LegalHold.id.desc())))


# -- deletions --------------------------------------------------------------------------


def list_deletions(session: Session, status: str | None = "pending") -> list[RetentionDeletion]:
    query = select(RetentionDeletion).options(selectinload(RetentionDeletion.recording))
    if status:
        query = query.where(RetentionDeletion.status == status)
    return list(session.scalars(query.order_by(RetentionDeletion.id.desc()).limit(500)))


def undo_deletion(
    session: Session, deletion_id: int, *, actor: str, reason: str
) -> RetentionDeletion:
    """Stop a scheduled deletion during its grace period.

    The recording is not scheduled again for one grace period from the undo, which leaves
    time to place a hold or link it to the incident that makes it evidence.
    """
    if not reason or not reason.strip():
        raise InvalidChange("undoing a deletion needs a reason")
    deletion = session.get(RetentionDeletion, deletion_id)
    if deletion is None:
        raise NotFound(f"no scheduled deletion {deletion_id}")
    if deletion.status != "pending":
        raise InvalidChange(
            f"deletion {deletion_id} is {deletion.status}; only a pending deletion can be undone"
        )
    _close(session, deletion, "undone", actor, reason.strip(), Action.RETENTION_UNDONE)
    return deletion


def _close(
    session: Session,
    deletion: RetentionDeletion,
    status: str,
    actor: str,
    reason: str,
    action: Action,
    details: dict[str, Any] | None = None,
) -> None:
    deletion.status = status
    deletion.closed_at = utcnow()
    deletion.closed_by = actor
    deletion.close_reason = reason
    session.flush()
    record(
        session,
        actor=actor,
        action=action,
        object_type="recording",
        object_id=deletion.recording_id,
        reason=reason,
        details={"deletion_id": deletion.id, "sha256": deletion.sha256, **(details or {})},
    )


def _recently_undone(session: Session, grace_days: int, as_of: date) -> set[int]:
    since = datetime.combine(as_of - timedelta(days=grace_days), time.min, tzinfo=UTC)
    return set(
        session.scalars(
            select(RetentionDeletion.recording_id).where(
                RetentionDeletion.status == "undone", RetentionDeletion.closed_at >= since
            )
        )
    )


@dataclass
class RunReport:
    as_of: date
    dry_run: bool
    policy_version: int
    policy_sha256: str
    grace_period_days: int
    to_schedule: list[dict[str, Any]] = field(default_factory=list)
    to_delete: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    locked: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: int = 0

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["as_of"] = self.as_of.isoformat()
        doc["counts"] = {
            "to_schedule": len(self.to_schedule),
            "to_delete": len(self.to_delete),
            "blocked": len(self.blocked),
            "cancelled": len(self.cancelled),
            "pending": len(self.pending),
            "kept": self.kept,
        }
        return doc


def run(
    runtime: Runtime,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    actor: str = SYSTEM_ACTOR,
) -> RunReport:
    """One pass of the schedule on ``as_of`` (default today, UTC).

    With ``dry_run`` nothing changes: the report says what would be scheduled, what
    would be deleted (grace period over) and what a hold or investigation blocks.
    """
    loaded = load_policy()
    policy = loaded.policy
    as_of = as_of or datetime.now(UTC).date()
    report = RunReport(
        as_of=as_of,
        dry_run=dry_run,
        policy_version=policy.version,
        policy_sha256=loaded.sha256,
        grace_period_days=policy.grace_period_days,
    )
    to_dispose: list[tuple[int, list[str]]] = []
    with runtime.db.session() as session:
        decisions = {d.recording_id: d for d in evaluate(session, loaded)}
        undone = _recently_undone(session, policy.grace_period_days, as_of)
        pending = list_deletions(session, "pending")
        for deletion in pending:
            decision = decisions.get(deletion.recording_id)
            entry = {
                "deletion_id": deletion.id,
                "recording_id": deletion.recording_id,
                "sha256": deletion.sha256,
                "rule": deletion.rule,
                "grace_until": deletion.grace_until.isoformat(),
            }
            if deletion.grace_until > as_of:
                report.pending.append(entry)
                continue
            blocker = refusal(session, deletion.recording_id, Operation.DELETE)
            if decision is None or not decision.due(as_of) or blocker:
                why = blocker or (
                    f"no longer due: {decision.rule} keeps it"
                    + (f" until {decision.delete_on}" if decision and decision.delete_on else "")
                    if decision
                    else "recording gone"
                )
                report.cancelled.append({**entry, "reason": why})
                if not dry_run:
                    _close(session, deletion, "cancelled", actor, why, Action.RETENTION_CANCELLED)
                continue
            report.to_delete.append({**entry, "why": decision.why})
            if not dry_run:
                to_dispose.append(
                    (deletion.id, _tombstone(session, deletion, decision, as_of, actor))
                )
        pending_ids = {d.recording_id for d in pending}
        for decision in decisions.values():
            if decision.recording_id in pending_ids:
                continue
            if not decision.due(as_of):
                report.kept += 1
                continue
            blocker = refusal(session, decision.recording_id, Operation.DELETE)
            if blocker or decision.recording_id in undone:
                report.blocked.append(
                    {**decision.to_dict(), "blocked_by": blocker or "deletion undone recently"}
                )
                continue
            report.to_schedule.append(
                {
                    **decision.to_dict(),
                    "grace_until": (as_of + timedelta(days=policy.grace_period_days)).isoformat(),
                }
            )
            if not dry_run:
                _schedule(session, decision, loaded, as_of, actor)
        if not dry_run and policy.object_lock.enabled:
            _lock_kept(runtime, session, decisions, loaded, as_of, actor, report)
    if not dry_run:
        for _deletion_id, hashes in to_dispose:
            _delete_bytes(runtime, hashes, report)
        sweep(runtime, report)
    return report


def _schedule(
    session: Session, decision: Decision, loaded: LoadedPolicy, as_of: date, actor: str
) -> RetentionDeletion:
    policy = loaded.policy
    assert decision.delete_on is not None
    deletion = RetentionDeletion(
        recording_id=decision.recording_id,
        sha256=decision.sha256,
        rule=decision.rule,
        policy_version=policy.version,
        due_on=decision.delete_on,
        scheduled_on=as_of,
        grace_until=as_of + timedelta(days=policy.grace_period_days),
        status="pending",
        scheduled_by=actor,
    )
    session.add(deletion)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.RETENTION_SCHEDULED,
        object_type="recording",
        object_id=decision.recording_id,
        reason=decision.why,
        details={
            "deletion_id": deletion.id,
            "sha256": decision.sha256,
            "rule": decision.rule,
            "policy_version": policy.version,
            "policy_sha256": loaded.sha256,
            "due_on": decision.delete_on.isoformat(),
            "scheduled_on": as_of.isoformat(),
            "grace_until": deletion.grace_until.isoformat(),
        },
    )
    return deletion


def _tombstone(
    session: Session, deletion: RetentionDeletion, decision: Decision, as_of: date, actor: str
) -> list[str]:
    """Mark the recording deleted and write the tombstone; the bytes go after the commit."""
    recording = session.get(Recording, deletion.recording_id)
    assert recording is not None
    derived = [
        h for h in (recording.proxy_sha256, recording.poster_sha256, recording.thumbs_sha256) if h
    ]
    recording.deleted_at = utcnow()
    recording.deletion_rule = deletion.rule
    deletion.status = "done"
    deletion.closed_at = recording.deleted_at
    deletion.closed_by = actor
    deletion.close_reason = decision.why
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.TOMBSTONE,
        object_type="recording",
        object_id=recording.id,
        reason=f"retention: {deletion.rule}",
        details={
            "sha256": recording.sha256,
            "size_bytes": recording.size_bytes,
            "original_filename": recording.original_filename,
            "derivatives": derived,
            "deletion_id": deletion.id,
            "rule": deletion.rule,
            "policy_version": deletion.policy_version,
            "scheduled_on": deletion.scheduled_on.isoformat(),
            "as_of": as_of.isoformat(),
            "deleted_at": recording.deleted_at.isoformat(),
        },
    )
    return [recording.sha256, *derived]


def _delete_bytes(runtime: Runtime, hashes: list[str], report: RunReport) -> None:
    for sha256 in hashes:
        try:
            runtime.store.delete(sha256)
        except Exception as exc:  # the sweep retries on the next run
            log.exception("could not delete %s", sha256)
            report.errors.append(f"deleting {sha256}: {exc}")


def sweep(runtime: Runtime, report: RunReport | None = None) -> int:
    """Delete bytes left behind by a run that stopped between its commit and the store."""
    with runtime.db.session() as session:
        rows = session.execute(
            select(
                Recording.sha256,
                Recording.proxy_sha256,
                Recording.poster_sha256,
                Recording.thumbs_sha256,
            ).where(Recording.deleted_at.is_not(None))
        ).all()
    removed = 0
    for row in rows:
        for sha256 in row:
            if sha256 and runtime.store.exists(sha256):
                try:
                    runtime.store.delete(sha256)
                    removed += 1
                except Exception as exc:
                    if report is not None:
                        report.errors.append(f"deleting {sha256}: {exc}")
    return removed


def _lock_kept(
    runtime: Runtime,
    session: Session,
    decisions: dict[int, Decision],
    loaded: LoadedPolicy,
    as_of: date,
    actor: str,
    report: RunReport,
) -> None:
    """Put held or evidentiary objects under S3 Object Lock (COMPLIANCE) when the store can."""
    lock = getattr(runtime.store, "lock_object", None)
    if lock is None:
        return
    locked_until = getattr(runtime.store, "locked_until", None)
    days = loaded.policy.object_lock.days
    for decision in decisions.values():
        held = bool(open_holds(session, decision.recording_id))
        evidentiary = decision.rule != loaded.policy.unclaimed_category
        if not (held or evidentiary) or (decision.due(as_of) and not held):
            continue
        until_day = as_of + timedelta(days=days)
        if decision.delete_on is not None and not held:
            until_day = min(until_day, decision.delete_on)
        until = datetime.combine(until_day, time.min, tzinfo=UTC)
        current = locked_until(decision.sha256) if locked_until else None
        if current is not None and current >= until:
            continue
        try:
            lock(decision.sha256, until)
        except Exception as exc:
            report.errors.append(f"locking {decision.sha256}: {exc}")
            continue
        report.locked.append({"recording_id": decision.recording_id, "until": until.isoformat()})
        record(
            session,
            actor=actor,
            action=Action.RETENTION_LOCK,
            object_type="recording",
            object_id=decision.recording_id,
            details={
                "sha256": decision.sha256,
                "until": until.isoformat(),
                "mode": "COMPLIANCE",
                "why": "legal hold" if held else decision.rule,
            },
        )


def recording_status(session: Session, recording_id: int) -> dict[str, Any]:
    """What the recording page shows: its incidents, who holds custody, the retention rule
    that keeps it, open holds and any pending deletion."""
    pending = session.scalar(
        select(RetentionDeletion).where(
            RetentionDeletion.recording_id == recording_id, RetentionDeletion.status == "pending"
        )
    )
    return {
        "incidents": incidents_for_recording(session, recording_id),
        "custodian": custodian_of(session, recording_id),
        "decision": decision_for(session, recording_id),
        "holds": open_holds(session, recording_id),
        "pending": pending,
    }

"""The retention run: schedule what the policy lets go, dispose of what outlived its grace.

The run walks the archive in batches (keyset pagination over ids). Each batch is first
read in a short read-only transaction; only a batch that has something to change opens a
write transaction, re-checks the recordings it is about to touch there, and commits, so no
run holds the database's write lock for longer than one small batch, and the ledger sealer
and web requests get their turn between batches.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access.principal import Principal
from sunlight.evidence.custody import Action, record
from sunlight.evidence.guards import Operation, refusal
from sunlight.retention.deletions import (
    close,
    delete_bytes,
    recently_undone,
    schedule,
    sweep,
    tombstone,
)
from sunlight.retention.holds import held_among
from sunlight.retention.models import RetentionDeletion
from sunlight.retention.policy import LoadedPolicy, load_policy
from sunlight.retention.report import RunReport
from sunlight.retention.rules import BATCH_SIZE, Decision, decisions_for, live_batch
from sunlight.runtime import Runtime

#: Scheduled retention runs act as this named job; custody events record its id.
SYSTEM_ACTOR = Principal.system("retention").id
#: Most recordings changed in one write transaction: how long the write lock is held.
WRITE_BATCH = 200


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


@contextmanager
def write_session(runtime: Runtime) -> Iterator[Session]:
    """A unit of work that holds the database's writer lock from its first statement
    (see ``Database.session``), so a read followed by a write waits instead of failing."""
    with runtime.db.session() as session:
        yield session


@dataclass
class _Settled:
    pending: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[dict[str, Any]] = field(default_factory=list)
    to_delete: list[dict[str, Any]] = field(default_factory=list)
    dispose: list[list[str]] = field(default_factory=list)

    @property
    def acts(self) -> bool:
        return bool(self.cancelled or self.to_delete)


def _settle(
    session: Session,
    loaded: LoadedPolicy,
    deletion_ids: list[int],
    as_of: date,
    *,
    dry_run: bool,
    actor: str,
) -> _Settled:
    """Pending deletions whose grace period is over: delete, or cancel if no longer due."""
    out = _Settled()
    deletions = list(
        session.scalars(
            select(RetentionDeletion)
            .where(RetentionDeletion.id.in_(deletion_ids), RetentionDeletion.status == "pending")
            .order_by(RetentionDeletion.id.desc())
        )
    )
    decisions = {
        d.recording_id: d
        for d in decisions_for(session, loaded, [deletion.recording_id for deletion in deletions])
    }
    for deletion in deletions:
        decision = decisions.get(deletion.recording_id)
        entry = {
            "deletion_id": deletion.id,
            "recording_id": deletion.recording_id,
            "sha256": deletion.sha256,
            "rule": deletion.rule,
            "grace_until": deletion.grace_until.isoformat(),
        }
        if deletion.grace_until > as_of:
            out.pending.append(entry)
            continue
        blocker = refusal(session, deletion.recording_id, Operation.DELETE)
        if decision is None or not decision.due(as_of) or blocker:
            why = blocker or (
                f"no longer due: {decision.rule} keeps it"
                + (f" until {decision.delete_on}" if decision and decision.delete_on else "")
                if decision
                else "recording gone"
            )
            out.cancelled.append({**entry, "reason": why})
            if not dry_run:
                close(
                    session,
                    deletion,
                    "cancelled",
                    actor,
                    why,
                    Action.RETENTION_CANCELLED,
                    now=datetime.now(UTC),
                )
            continue
        out.to_delete.append({**entry, "why": decision.why})
        if not dry_run:
            out.dispose.append(tombstone(session, deletion, decision, as_of, actor))
    return out


def _settle_pending(
    runtime: Runtime,
    loaded: LoadedPolicy,
    as_of: date,
    report: RunReport,
    *,
    dry_run: bool,
    actor: str,
    batch_size: int,
    write_batch: int,
    pause_s: float,
) -> set[int]:
    """Every pending deletion, newest first, a batch per transaction; returns the
    recordings that had one (the scheduling pass leaves them alone)."""
    had_pending: set[int] = set()
    before: int | None = None
    while True:
        with runtime.db.session(read_only=True) as session:
            query = select(RetentionDeletion.id, RetentionDeletion.recording_id).where(
                RetentionDeletion.status == "pending"
            )
            if before is not None:
                query = query.where(RetentionDeletion.id < before)
            rows = session.execute(query.order_by(RetentionDeletion.id.desc()).limit(batch_size))
            batch = [(row.id, row.recording_id) for row in rows]
            if not batch:
                return had_pending
            ids = [deletion_id for deletion_id, _ in batch]
            had_pending.update(recording_id for _, recording_id in batch)
            settled = _settle(session, loaded, ids, as_of, dry_run=True, actor=actor)
        if not dry_run and settled.acts:
            acting = sorted(
                (int(item["deletion_id"]) for item in settled.cancelled + settled.to_delete),
                reverse=True,
            )
            written = _Settled(pending=settled.pending)
            for chunk in _chunks(acting, write_batch):
                with write_session(runtime) as session:
                    part = _settle(session, loaded, chunk, as_of, dry_run=False, actor=actor)
                for hashes in part.dispose:  # after the tombstones committed
                    delete_bytes(runtime, hashes, report)
                written.pending.extend(part.pending)
                written.cancelled.extend(part.cancelled)
                written.to_delete.extend(part.to_delete)
            settled = written
        report.pending.extend(settled.pending)
        report.cancelled.extend(settled.cancelled)
        report.to_delete.extend(settled.to_delete)
        if len(batch) < batch_size:
            return had_pending
        before = batch[-1][0]
        if pause_s:
            time.sleep(pause_s)


@dataclass
class _Sorted:
    kept: int = 0
    kept_by: list[dict[str, Any]] = field(default_factory=list)
    blocked: list[dict[str, Any]] = field(default_factory=list)
    due: list[Decision] = field(default_factory=list)


def _sort(
    session: Session,
    decisions: list[Decision],
    had_pending: set[int],
    undone: set[int],
    as_of: date,
) -> _Sorted:
    out = _Sorted()
    for decision in decisions:
        if decision.recording_id in had_pending or decision.pending_deletion_id is not None:
            continue
        if not decision.due(as_of):
            out.kept += 1
            if decision.keepers:
                out.kept_by.append(
                    {
                        "recording_id": decision.recording_id,
                        "filename": decision.filename,
                        "rule": decision.rule,
                        "why": decision.why,
                        "keepers": decision.keepers,
                    }
                )
            continue
        blocker = refusal(session, decision.recording_id, Operation.DELETE)
        if blocker or decision.recording_id in undone:
            out.blocked.append(
                {**decision.to_dict(), "blocked_by": blocker or "deletion undone recently"}
            )
            continue
        out.due.append(decision)
    return out


def run(
    runtime: Runtime,
    *,
    as_of: date | None = None,
    dry_run: bool = False,
    actor: str = SYSTEM_ACTOR,
    batch_size: int = BATCH_SIZE,
    write_batch: int = WRITE_BATCH,
    pause_s: float = 0.0,
) -> RunReport:
    """One pass of the schedule on ``as_of`` (default today, UTC).

    With ``dry_run`` nothing changes: the report says what would be scheduled, what
    would be deleted (grace period over) and what a hold or investigation blocks.
    ``batch_size`` recordings are read per (read-only) transaction, at most
    ``write_batch`` changed per write transaction, with ``pause_s`` seconds between
    batches for other work.
    """
    if batch_size < 1 or write_batch < 1:
        raise ValueError("batch_size and write_batch must be at least 1")
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
    with runtime.db.session(read_only=True) as session:
        undone = recently_undone(session, policy.grace_period_days, as_of)
    had_pending = _settle_pending(
        runtime,
        loaded,
        as_of,
        report,
        dry_run=dry_run,
        actor=actor,
        batch_size=batch_size,
        write_batch=write_batch,
        pause_s=pause_s,
    )
    grace_until = (as_of + timedelta(days=policy.grace_period_days)).isoformat()
    lock = not dry_run and policy.object_lock.enabled
    after = 0
    while True:
        with runtime.db.session(read_only=True) as session:
            batch = live_batch(session, loaded, after_id=after, limit=batch_size)
            if not batch:
                break
            sorted_ = _sort(session, batch, had_pending, undone, as_of)
            held = held_among(session, [d.recording_id for d in batch]) if lock else set()
        if sorted_.due and not dry_run:
            scheduled: list[Decision] = []
            for chunk in _chunks([d.recording_id for d in sorted_.due], write_batch):
                with write_session(runtime) as session:  # re-check what is about to change
                    fresh = decisions_for(session, loaded, chunk)
                    now = _sort(session, fresh, had_pending, undone, as_of)
                    for decision in now.due:
                        schedule(session, decision, loaded, as_of, actor)
                sorted_.kept += now.kept
                sorted_.kept_by.extend(now.kept_by)
                sorted_.blocked.extend(now.blocked)
                scheduled.extend(now.due)
            sorted_.blocked.sort(key=lambda item: int(item["recording_id"]))
            sorted_.due = scheduled
        report.kept += sorted_.kept
        report.kept_by.extend(sorted_.kept_by)
        report.blocked.extend(sorted_.blocked)
        report.to_schedule.extend(
            {**decision.to_dict(), "grace_until": grace_until} for decision in sorted_.due
        )
        if lock:
            _lock_kept(runtime, batch, held, loaded, as_of, actor, report)
        if len(batch) < batch_size:
            break
        after = batch[-1].recording_id
        if pause_s:
            time.sleep(pause_s)
    if not dry_run:
        sweep(runtime, report, batch_size=batch_size)
    return report


def _lock_kept(
    runtime: Runtime,
    decisions: list[Decision],
    held: set[int],
    loaded: LoadedPolicy,
    as_of: date,
    actor: str,
    report: RunReport,
) -> None:
    """Put held or evidentiary objects under S3 Object Lock (COMPLIANCE) when the store can.

    The store is asked outside any transaction; the custody events for the locks placed
    are written afterwards, in one short transaction per batch."""
    lock = getattr(runtime.store, "lock_object", None)
    if lock is None:
        return
    locked_until = getattr(runtime.store, "locked_until", None)
    days = loaded.policy.object_lock.days
    placed: list[tuple[Decision, datetime, bool]] = []
    for decision in decisions:
        is_held = decision.recording_id in held
        evidentiary = decision.rule != loaded.policy.unclaimed_category
        if not (is_held or evidentiary) or (decision.due(as_of) and not is_held):
            continue
        until_day = as_of + timedelta(days=days)
        if decision.delete_on is not None and not is_held:
            until_day = min(until_day, decision.delete_on)
        until = datetime.combine(until_day, datetime.min.time(), tzinfo=UTC)
        current = locked_until(decision.sha256) if locked_until else None
        if current is not None and current >= until:
            continue
        try:
            lock(decision.sha256, until)
        except Exception as exc:
            report.errors.append(f"locking {decision.sha256}: {exc}")
            continue
        report.locked.append({"recording_id": decision.recording_id, "until": until.isoformat()})
        placed.append((decision, until, is_held))
    if not placed:
        return
    with write_session(runtime) as session:
        for decision, until, is_held in placed:
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
                    "why": "legal hold" if is_held else decision.rule,
                },
            )

"""Scheduled deletions and tombstones: schedule, undo, cancel, dispose of the bytes.

A deletion is a row in ``retention_deletions`` plus a custody event for every step; the
bytes go only after the transaction that wrote the tombstone committed, and ``sweep``
retries any a crash left behind.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Recording
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.retention.models import RetentionDeletion
from sunlight.retention.policy import LoadedPolicy
from sunlight.retention.report import RunReport
from sunlight.retention.rules import BATCH_SIZE, Decision
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)


def list_deletions(
    session: Session,
    status: str | None = "pending",
    *,
    where: ColumnElement[bool] | None = None,
) -> list[RetentionDeletion]:
    """Scheduled deletions, newest first. ``where`` is the caller's scope over recordings
    (``access.visible(principal, Permission.RECORDING_LIST)``)."""
    query = select(RetentionDeletion).options(selectinload(RetentionDeletion.recording))
    if where is not None:
        query = query.where(RetentionDeletion.recording_id.in_(select(Recording.id).where(where)))
    if status:
        query = query.where(RetentionDeletion.status == status)
    return list(session.scalars(query.order_by(RetentionDeletion.id.desc()).limit(500)))


def undo_deletion(
    session: Session, deletion_id: int, *, actor: str, reason: str, now: datetime
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
    close(session, deletion, "undone", actor, reason.strip(), Action.RETENTION_UNDONE, now=now)
    return deletion


def close(
    session: Session,
    deletion: RetentionDeletion,
    status: str,
    actor: str,
    reason: str,
    action: Action,
    details: dict[str, Any] | None = None,
    *,
    now: datetime,
) -> None:
    deletion.status = status
    deletion.closed_at = now
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


def recently_undone(session: Session, grace_days: int, as_of: date) -> set[int]:
    """Recordings whose deletion was undone within the last grace period."""
    since = datetime.combine(as_of - timedelta(days=grace_days), time.min, tzinfo=UTC)
    return set(
        session.scalars(
            select(RetentionDeletion.recording_id).where(
                RetentionDeletion.status == "undone", RetentionDeletion.closed_at >= since
            )
        )
    )


def schedule(
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


def tombstone(
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


def delete_bytes(runtime: Runtime, hashes: list[str], report: RunReport) -> None:
    for sha256 in hashes:
        try:
            runtime.store.delete(sha256)
        except Exception as exc:  # the sweep retries on the next run
            log.exception("could not delete %s", sha256)
            report.errors.append(f"deleting {sha256}: {exc}")


def sweep(
    runtime: Runtime, report: RunReport | None = None, *, batch_size: int = BATCH_SIZE
) -> int:
    """Delete bytes left behind by a run that stopped between its commit and the store.

    Reads the deleted recordings a batch at a time, each batch in its own short read, and
    talks to the store outside any transaction."""
    removed = 0
    after = 0
    while True:
        with runtime.db.session() as session:
            rows = session.execute(
                select(
                    Recording.id,
                    Recording.sha256,
                    Recording.proxy_sha256,
                    Recording.poster_sha256,
                    Recording.thumbs_sha256,
                )
                .where(Recording.deleted_at.is_not(None), Recording.id > after)
                .order_by(Recording.id)
                .limit(batch_size)
            ).all()
        for row in rows:
            for sha256 in row[1:]:
                if sha256 and runtime.store.exists(sha256):
                    try:
                        runtime.store.delete(sha256)
                        removed += 1
                    except Exception as exc:
                        if report is not None:
                            report.errors.append(f"deleting {sha256}: {exc}")
        if len(rows) < batch_size:
            return removed
        after = rows[-1].id

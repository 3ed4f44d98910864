"""Custody logging for reads: who looked at or fetched which evidence, why, and under
which rule of the access policy.

A read is stamped with the request's ``now`` (the app's clock), and the window that folds
a player's Range requests into one read is measured on that same clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import Principal
from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime

# A player's many Range requests for one viewing count as one access.
READ_DEDUP_WINDOW = timedelta(minutes=5)


def _seen(
    session: Session,
    actor: str,
    action: Action,
    recording_id: int,
    reason: str | None,
    now: datetime,
) -> bool:
    """The same actor did the same read of the same recording, for the same stated
    reason, within the window before ``now``."""
    query = select(CustodyEvent.id).where(
        CustodyEvent.actor == actor,
        CustodyEvent.action == str(action),
        CustodyEvent.object_type == "recording",
        CustodyEvent.object_id == str(recording_id),
        CustodyEvent.occurred_at >= now - READ_DEDUP_WINDOW,
    )
    query = query.where(
        CustodyEvent.reason.is_(None) if reason is None else CustodyEvent.reason == reason
    )
    return session.execute(query.limit(1)).first() is not None


def log_read(
    runtime: Runtime,
    actor: Principal,
    action: Action,
    recording_id: int,
    *,
    now: datetime,
    reason: str | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Commit the access record (at ``now``, with the stated reason and the deciding rule,
    in ``details``) before any bytes are served.

    A player's repeated Range requests within the window (same actor, read and reason)
    are answered from a read-only look (no writer lock); only a new viewing takes the
    lock, and it looks again under the lock so that ten clients starting at once still
    leave one record each. Every download is recorded.
    """
    dedup = action != Action.DOWNLOAD
    if dedup:
        with runtime.db.session(read_only=True) as session:
            if _seen(session, actor.id, action, recording_id, reason, now):
                return
    with runtime.db.session() as session:
        if dedup and _seen(session, actor.id, action, recording_id, reason, now):
            return
        record(
            session,
            actor=actor.id,
            action=action,
            object_type="recording",
            object_id=recording_id,
            reason=reason,
            details=details,
            at=now,
        )

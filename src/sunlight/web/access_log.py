"""Custody logging for reads: who looked at or fetched which evidence, and why."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from sunlight.access import Principal
from sunlight.evidence.custody import Action, recently_recorded, record
from sunlight.runtime import Runtime

# A player's many Range requests for one viewing count as one access.
READ_DEDUP_WINDOW = timedelta(minutes=5)


def log_read(
    runtime: Runtime,
    actor: Principal,
    action: Action,
    recording_id: int,
    *,
    reason: str | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Commit the access record before any bytes are served.

    A player's repeated Range requests within the window are answered from a read-only
    look (no writer lock); only a new viewing takes the lock, and it looks again under
    the lock so that ten clients starting at once still leave one record each.
    """
    dedup = action != Action.DOWNLOAD and reason is None

    def seen(session: Session) -> bool:
        return recently_recorded(
            session,
            actor=actor.id,
            action=action,
            object_type="recording",
            object_id=recording_id,
            within=READ_DEDUP_WINDOW,
        )

    if dedup:
        with runtime.db.session(read_only=True) as session:
            if seen(session):
                return
    with runtime.db.session() as session:
        if dedup and seen(session):
            return
        record(
            session,
            actor=actor.id,
            action=action,
            object_type="recording",
            object_id=recording_id,
            reason=reason,
            details=details,
        )

"""Custody logging for reads: who looked at or fetched which evidence, and why."""

from __future__ import annotations

from datetime import timedelta

from sunlight.access import Actor
from sunlight.evidence.custody import Action, recently_recorded, record
from sunlight.runtime import Runtime

# A player's many Range requests for one viewing count as one access.
READ_DEDUP_WINDOW = timedelta(minutes=5)


def log_read(
    runtime: Runtime,
    actor: Actor,
    action: Action,
    recording_id: int,
    *,
    reason: str | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Commit the access record before any bytes are served."""
    with runtime.db.session() as session:
        if (
            action != Action.DOWNLOAD
            and reason is None
            and recently_recorded(
                session,
                actor=actor.id,
                action=action,
                object_type="recording",
                object_id=recording_id,
                within=READ_DEDUP_WINDOW,
            )
        ):
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

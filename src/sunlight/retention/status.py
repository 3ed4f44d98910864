"""What the recording page shows about a recording's retention."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.incidents.service import custodian_of, incidents_for_recording
from sunlight.retention.guards import open_holds
from sunlight.retention.models import RetentionDeletion
from sunlight.retention.rules import decision_for


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

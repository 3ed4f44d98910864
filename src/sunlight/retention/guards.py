"""The retention domain's change guard: legal holds, and recordings already disposed of."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sunlight.evidence.guards import Operation, change_guard
from sunlight.evidence.models import Recording
from sunlight.incidents.models import IncidentRecording
from sunlight.retention.models import LegalHold


def open_holds(session: Session, recording_id: int) -> list[LegalHold]:
    """Unreleased holds on the recording itself or on any incident it belongs to."""
    incident_ids = select(IncidentRecording.incident_id).where(
        IncidentRecording.recording_id == recording_id
    )
    return list(
        session.scalars(
            select(LegalHold)
            .where(
                LegalHold.released_at.is_(None),
                or_(
                    LegalHold.recording_id == recording_id,
                    LegalHold.incident_id.in_(incident_ids),
                ),
            )
            .order_by(LegalHold.id)
        )
    )


@change_guard
def retention_guard(session: Session, recording_id: int, operation: Operation) -> str | None:
    if operation in (Operation.ALTER, Operation.LINK, Operation.DELETE):
        deleted = session.scalar(select(Recording.deleted_at).where(Recording.id == recording_id))
        if deleted is not None:
            return f"its bytes were deleted under the retention schedule on {deleted:%Y-%m-%d}"
    if operation == Operation.DELETE:
        holds = open_holds(session, recording_id)
        if holds:
            return f"under legal hold #{holds[0].id} ({holds[0].reason})"
    return None

"""Legal holds: placing and releasing them, and which recordings they keep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Recording
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.retention.models import LegalHold


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


def release_hold(
    session: Session, hold_id: int, *, actor: str, reason: str, now: datetime
) -> LegalHold:
    if not reason or not reason.strip():
        raise InvalidChange("releasing a legal hold needs a reason")
    hold = session.get(LegalHold, hold_id)
    if hold is None:
        raise NotFound(f"no legal hold {hold_id}")
    if hold.released_at is not None:
        raise InvalidChange(f"legal hold {hold_id} was already released")
    hold.released_at = now
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


def list_holds(
    session: Session,
    *,
    open_only: bool = True,
    recordings: ColumnElement[bool] | None = None,
    incidents: ColumnElement[bool] | None = None,
) -> list[LegalHold]:
    """Legal holds, newest first. ``recordings`` / ``incidents`` are the caller's scopes
    (``access.visible``): a hold is listed when what it holds is visible."""
    query = select(LegalHold).options(
        selectinload(LegalHold.recording), selectinload(LegalHold.incident)
    )
    if recordings is not None and incidents is not None:
        query = query.where(
            or_(
                LegalHold.recording_id.in_(select(Recording.id).where(recordings)),
                LegalHold.incident_id.in_(select(Incident.id).where(incidents)),
            )
        )
    if open_only:
        query = query.where(LegalHold.released_at.is_(None))
    return list(session.scalars(query.order_by(LegalHold.id.desc())))


def held_among(session: Session, recording_ids: Sequence[int]) -> set[int]:
    """Those of ``recording_ids`` under an open hold, on themselves or on an incident they
    belong to (one query for a whole batch; ``guards.open_holds`` answers for one)."""
    if not recording_ids:
        return set()
    ids = list(recording_ids)
    direct = select(LegalHold.recording_id).where(
        LegalHold.released_at.is_(None), LegalHold.recording_id.in_(ids)
    )
    via_incident = (
        select(IncidentRecording.recording_id)
        .join(LegalHold, LegalHold.incident_id == IncidentRecording.incident_id)
        .where(LegalHold.released_at.is_(None), IncidentRecording.recording_id.in_(ids))
    )
    held: set[int] = set()
    for query in (direct, via_incident):
        held.update(rid for rid in session.scalars(query) if rid is not None)
    return held


__all__ = ["held_among", "list_holds", "place_hold", "release_hold"]

"""Which recordings belong to an incident: suggestions, links and unlinks, and who holds
a recording's custody as a result."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from sunlight.evidence.custody import Action, record
from sunlight.evidence.guards import Operation
from sunlight.evidence.models import Recording
from sunlight.evidence.service import ChangeRefused, InvalidChange, NotFound, check_change
from sunlight.incidents.agencies import transfer_event
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.incidents.records import get_incident
from sunlight.incidents.terms import DEPARTMENT, SUGGESTION_SLACK, need_reason


def _recording_end(recording: Recording) -> datetime | None:
    if recording.recorded_at is None:
        return None
    return recording.recorded_at + timedelta(seconds=recording.duration_s or 0)


def suggestions(
    session: Session, incident: Incident, *, where: ColumnElement[bool] | None = None
) -> list[Recording]:
    """Recordings by the incident's officers that overlap its time span, not yet linked.

    A person confirms each one; nothing is linked automatically. ``where`` is the caller's
    access scope over recordings (``access.visible(principal, Permission.RECORDING_LIST)``).
    """
    officer_ids = [io.officer_id for io in incident.officers]
    if not officer_ids:
        return []
    linked = {link.recording_id for link in incident.links}
    window_start = incident.started_at - SUGGESTION_SLACK
    window_end = incident.ended_at + SUGGESTION_SLACK
    candidates = session.scalars(
        select(Recording)
        .options(selectinload(Recording.officer))
        .where(
            Recording.officer_id.in_(officer_ids),
            Recording.recorded_at.is_not(None),
            Recording.recorded_at <= window_end,
            # a day is longer than any body-camera recording; the exact end is checked below
            Recording.recorded_at >= window_start - timedelta(days=1),
            Recording.deleted_at.is_(None),
            *([] if where is None else [where]),
        )
        .order_by(Recording.recorded_at)
    ).all()
    found = []
    for recording in candidates:
        end = _recording_end(recording)
        if recording.id in linked or end is None:
            continue
        if end >= window_start:
            found.append(recording)
    return found


def link_recording(
    session: Session,
    incident_id: int,
    recording_id: int,
    *,
    actor: str,
    how: str = "manual",
    reason: str | None = None,
) -> IncidentRecording:
    if how not in ("manual", "suggested"):
        raise InvalidChange("how must be 'manual' or 'suggested'")
    incident = get_incident(session, incident_id)
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    if any(link.recording_id == recording_id for link in incident.links):
        raise InvalidChange(f"recording {recording_id} is already linked to {incident.cad_number}")
    check_change(session, recording_id, Operation.LINK)
    link = IncidentRecording(
        incident_id=incident.id, recording_id=recording_id, how=how, linked_by=actor
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INCIDENT_LINK,
        object_type="recording",
        object_id=recording_id,
        reason=reason,
        details={"incident_id": incident.id, "cad_number": incident.cad_number, "how": how},
    )
    if incident.agency is not None:
        transfer_event(
            session, recording_id, incident, DEPARTMENT, incident.agency.name, actor, reason
        )
    session.expire(incident, ["links"])
    return link


def unlink_recording(
    session: Session, incident_id: int, recording_id: int, *, actor: str, reason: str
) -> None:
    reason = need_reason(reason, "unlinking a recording")
    incident = get_incident(session, incident_id)
    link = next((lk for lk in incident.links if lk.recording_id == recording_id), None)
    if link is None:
        raise NotFound(f"recording {recording_id} is not linked to {incident.cad_number}")
    # While an incident is under investigation its footage stays its footage: an unlink
    # would hand the recording to the retention schedule as unclaimed (non-evidentiary).
    if incident.agency is not None:
        raise ChangeRefused(
            f"cannot unlink recording {recording_id}: incident {incident.cad_number} is in "
            f"the custody of {incident.agency.name}; recordings stay linked to an incident "
            "that an outside agency holds until custody is returned"
        )
    if incident.investigation_status == "active":
        raise ChangeRefused(
            f"cannot unlink recording {recording_id}: the investigation of incident "
            f"{incident.cad_number} is active; recordings stay linked to an incident under "
            "active investigation until it becomes inactive (RSMo 610.100)"
        )
    check_change(session, recording_id, Operation.UNLINK)
    session.delete(link)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INCIDENT_UNLINK,
        object_type="recording",
        object_id=recording_id,
        reason=reason,
        details={"incident_id": incident.id, "cad_number": incident.cad_number},
    )
    session.expire(incident, ["links"])


def incidents_for_recording(session: Session, recording_id: int) -> list[Incident]:
    return list(
        session.scalars(
            select(Incident)
            .join(IncidentRecording, IncidentRecording.incident_id == Incident.id)
            .options(selectinload(Incident.agency))
            .where(IncidentRecording.recording_id == recording_id)
            .order_by(Incident.id)
        )
    )


def custodian_of(session: Session, recording_id: int) -> str:
    """Who holds custody of a recording: an outside agency, or the department."""
    for incident in incidents_for_recording(session, recording_id):
        if incident.agency is not None:
            return incident.agency.name
    return DEPARTMENT

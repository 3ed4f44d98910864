"""Incidents themselves: create, find, describe, add officers, change type.

Every change is a custody event written through ``custody.record`` in the caller's
transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Officer, Recording
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.incidents.models import Incident, IncidentOfficer, IncidentRecording
from sunlight.incidents.terms import DEPARTMENT, INACTIVE_REASONS, INCIDENT_TYPES, STATUSES


def _check_type(kind: str) -> str:
    if kind not in INCIDENT_TYPES:
        raise InvalidChange(f"incident type must be one of {', '.join(INCIDENT_TYPES)}")
    return kind


def _officers_by_badge(session: Session, badges: list[str]) -> list[Officer]:
    officers = []
    for badge in badges:
        officer = session.scalar(select(Officer).where(Officer.badge_number == badge.strip()))
        if officer is None:
            raise InvalidChange(f"no officer with badge number {badge.strip()}")
        officers.append(officer)
    return officers


def create_incident(
    session: Session,
    *,
    cad_number: str,
    type: str,
    started_at: datetime,
    ended_at: datetime,
    actor: str,
    location: str | None = None,
    unit: str | None = None,
    narrative: str | None = None,
    officer_badges: list[str] | None = None,
    source: str = "manual",
    investigation_status: str | None = None,
) -> Incident:
    cad_number = cad_number.strip()
    if not cad_number or len(cad_number) > 40:
        raise InvalidChange("a CAD number of 1-40 characters is required")
    _check_type(type)
    if started_at.tzinfo is None or ended_at.tzinfo is None:
        raise InvalidChange("incident times need a timezone")
    if ended_at < started_at:
        raise InvalidChange("the incident ends before it starts")
    if session.scalar(select(Incident.id).where(Incident.cad_number == cad_number)):
        raise InvalidChange(f"incident with CAD number {cad_number} already exists")
    status = investigation_status or ("none" if type == "non-evidentiary" else "active")
    if status not in ("none", "active"):
        raise InvalidChange("a new incident's investigation is 'none' or 'active'")
    officers = _officers_by_badge(session, officer_badges or [])
    incident = Incident(
        cad_number=cad_number,
        type=type,
        started_at=started_at,
        ended_at=ended_at,
        location=(location or "").strip() or None,
        unit=(unit or "").strip() or None,
        narrative=(narrative or "").strip() or None,
        source=source,
        investigation_status=status,
    )
    session.add(incident)
    session.flush()
    for officer in {o.id: o for o in officers}.values():
        session.add(IncidentOfficer(incident_id=incident.id, officer_id=officer.id))
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INCIDENT_CREATE,
        object_type="incident",
        object_id=incident.id,
        details={
            "cad_number": cad_number,
            "type": type,
            "source": source,
            "officers": [o.badge_number for o in officers],
            "started_at": started_at.isoformat(),
            "ended_at": ended_at.isoformat(),
            "investigation_status": status,
        },
    )
    return incident


def add_officers(session: Session, incident: Incident, badges: list[str], *, actor: str) -> None:
    present = {io.officer_id for io in incident.officers}
    added = []
    for officer in _officers_by_badge(session, badges):
        if officer.id not in present:
            session.add(IncidentOfficer(incident_id=incident.id, officer_id=officer.id))
            present.add(officer.id)
            added.append(officer.badge_number)
    if added:
        session.flush()
        record(
            session,
            actor=actor,
            action=Action.INCIDENT_CHANGE,
            object_type="incident",
            object_id=incident.id,
            details={"officers_added": added},
        )


def change_type(session: Session, incident: Incident, new_type: str, *, actor: str) -> None:
    _check_type(new_type)
    if incident.type == new_type:
        return
    old = incident.type
    incident.type = new_type
    record(
        session,
        actor=actor,
        action=Action.INCIDENT_CHANGE,
        object_type="incident",
        object_id=incident.id,
        details={"before": {"type": old}, "after": {"type": new_type}},
    )


def get_incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(
        Incident,
        incident_id,
        options=[
            selectinload(Incident.officers).selectinload(IncidentOfficer.officer),
            selectinload(Incident.links)
            .selectinload(IncidentRecording.recording)
            .selectinload(Recording.officer),
            selectinload(Incident.agency),
            selectinload(Incident.reports),
        ],
    )
    if incident is None:
        raise NotFound(f"no incident {incident_id}")
    return incident


def list_incidents(
    session: Session,
    *,
    type: str | None = None,
    status: str | None = None,
    text: str | None = None,
    limit: int = 200,
    where: ColumnElement[bool] | None = None,
) -> list[Incident]:
    """Incidents matching the filters, newest first. ``where`` is the caller's access scope
    (``access.visible(principal, Permission.INCIDENT_VIEW)``)."""
    query = select(Incident).options(
        selectinload(Incident.agency),
        selectinload(Incident.links),
        selectinload(Incident.officers).selectinload(IncidentOfficer.officer),
    )
    if where is not None:
        query = query.where(where)
    if type:
        query = query.where(Incident.type == _check_type(type))
    if status:
        if status not in STATUSES:
            raise InvalidChange(f"status must be one of {', '.join(STATUSES)}")
        query = query.where(Incident.investigation_status == status)
    if text:
        like = f"%{text.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Incident.cad_number).like(like),
                func.lower(func.coalesce(Incident.location, "")).like(like),
                func.lower(func.coalesce(Incident.narrative, "")).like(like),
            )
        )
    return list(
        session.scalars(query.order_by(Incident.started_at.desc(), Incident.id.desc()).limit(limit))
    )


def incident_summary(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "cad_number": incident.cad_number,
        "type": incident.type,
        "type_label": INCIDENT_TYPES.get(incident.type, incident.type),
        "started_at": incident.started_at.isoformat(),
        "ended_at": incident.ended_at.isoformat(),
        "location": incident.location,
        "unit": incident.unit,
        "narrative": incident.narrative,
        "source": incident.source,
        "investigation": {
            "status": incident.investigation_status,
            "reason": incident.inactive_reason,
            "reason_text": INACTIVE_REASONS.get(incident.inactive_reason or ""),
            "date": incident.status_date.isoformat() if incident.status_date else None,
            "statute": "RSMo 610.100",
        },
        "custodian": incident.agency.name if incident.agency else DEPARTMENT,
        "officers": [
            {"id": io.officer.id, "badge_number": io.officer.badge_number, "name": io.officer.name}
            for io in incident.officers
        ],
        "recordings": [
            {"recording_id": lk.recording_id, "how": lk.how, "linked_by": lk.linked_by}
            for lk in incident.links
        ],
    }

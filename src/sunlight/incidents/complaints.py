"""Misconduct complaints and the agency that handles each (civilian oversight sees the
footage of the complaints it handles), and involved officers' initial statements (report
before review: an involved officer sees a critical incident's footage only after it).

Each change is a custody event on the incident, written in the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from sunlight.access.models import Agency
from sunlight.db.base import utcnow
from sunlight.errors import Conflict, InvalidChange, NotFound
from sunlight.evidence.custody import Action, record
from sunlight.incidents.models import Complaint, Incident, IncidentOfficer
from sunlight.incidents.records import get_incident

MAX_COMPLAINTS = 500


def create_complaint(
    session: Session,
    *,
    number: str,
    incident_id: int,
    agency_id: int,
    complainant: str,
    filed_at: datetime,
    actor: str,
) -> Complaint:
    """Record a complaint about an incident and the agency that handles it."""
    number = number.strip()
    complainant = complainant.strip()
    if not number or len(number) > 40:
        raise InvalidChange("a complaint number of 1-40 characters is required")
    if not complainant:
        raise InvalidChange("the complainant is required")
    if filed_at.tzinfo is None:
        raise InvalidChange("filed_at needs a timezone")
    incident = get_incident(session, incident_id)
    if session.get(Agency, agency_id) is None:
        raise NotFound(f"no agency {agency_id}")
    if session.scalar(select(Complaint.id).where(Complaint.number == number)) is not None:
        raise Conflict(f"complaint {number} is already recorded")
    complaint = Complaint(
        number=number,
        incident_id=incident.id,
        agency_id=agency_id,
        complainant=complainant,
        filed_at=filed_at,
        created_by=actor,
    )
    session.add(complaint)
    session.flush()
    # the complainant's name stays in the complaints table, not in the sealed record
    record(
        session,
        actor=actor,
        action=Action.COMPLAINT_CREATE,
        object_type="incident",
        object_id=incident.id,
        details={
            "complaint_id": complaint.id,
            "number": number,
            "agency_id": agency_id,
            "filed_at": filed_at.isoformat(),
        },
    )
    return complaint


def list_complaints(
    session: Session,
    *,
    where: ColumnElement[bool] | None = None,
    incident_id: int | None = None,
    agency_id: int | None = None,
    limit: int = MAX_COMPLAINTS,
) -> list[Complaint]:
    """Complaints, newest first. ``where`` is the caller's scope over incidents
    (``access.visible(principal, Permission.INCIDENT_VIEW)``): a complaint is listed to
    whoever may see its incident."""
    query = select(Complaint).options(selectinload(Complaint.agency))
    if where is not None:
        query = query.where(Complaint.incident_id.in_(select(Incident.id).where(where)))
    if incident_id is not None:
        query = query.where(Complaint.incident_id == incident_id)
    if agency_id is not None:
        query = query.where(Complaint.agency_id == agency_id)
    return list(
        session.scalars(query.order_by(Complaint.filed_at.desc(), Complaint.id.desc()).limit(limit))
    )


def record_statement(
    session: Session,
    incident_id: int,
    officer_id: int,
    *,
    actor: str,
    at: datetime | None = None,
    note: str | None = None,
) -> IncidentOfficer:
    """Record that an involved officer gave the initial statement. From then on the
    report-before-review rule no longer keeps the incident's footage from that officer."""
    incident = get_incident(session, incident_id)
    involved = session.scalar(
        select(IncidentOfficer).where(
            IncidentOfficer.incident_id == incident.id, IncidentOfficer.officer_id == officer_id
        )
    )
    if involved is None:
        raise NotFound(f"officer {officer_id} is not involved in incident {incident.cad_number}")
    if involved.statement_at is not None:
        raise Conflict(
            f"officer {officer_id}'s statement on incident {incident.cad_number} was recorded"
            f" at {involved.statement_at.isoformat()}"
        )
    when = at or utcnow()
    involved.statement_at = when
    involved.statement_by = actor
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INCIDENT_STATEMENT,
        object_type="incident",
        object_id=incident.id,
        reason=note,
        details={"officer_id": officer_id, "statement_at": when.isoformat()},
    )
    return involved

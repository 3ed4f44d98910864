"""Outside agencies and custody: hand an incident's footage to an investigating agency
and back. Every hand-over is a custody event for the incident and each recording."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.access.agencies import create_agency, list_agencies
from sunlight.access.models import Agency
from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, record
from sunlight.evidence.service import InvalidChange, NotFound
from sunlight.incidents.models import CustodyAssignment, Incident
from sunlight.incidents.records import get_incident
from sunlight.incidents.terms import DEFAULT_AGENCY, DEPARTMENT, need_reason

# Agencies themselves are the access domain's (sunlight.access.agencies); these two names stay
# importable from here for the incidents API and older callers.
__all__ = [
    "assign_to_agency",
    "create_agency",
    "custody_history",
    "default_agency",
    "list_agencies",
    "return_custody",
    "transfer_event",
]


def default_agency(session: Session) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.is_default.is_(True)))
    if agency is None:  # seeded by migration 0003; recreate if someone removed it
        agency = Agency(name=DEFAULT_AGENCY, short_name="MSHP", is_default=True)
        session.add(agency)
        session.flush()
    return agency


def transfer_event(
    session: Session,
    recording_id: int,
    incident: Incident,
    from_: str,
    to: str,
    actor: str,
    reason: str | None,
) -> None:
    record(
        session,
        actor=actor,
        action=Action.CUSTODY_TRANSFER,
        object_type="recording",
        object_id=recording_id,
        reason=reason,
        details={
            "from": from_,
            "to": to,
            "incident_id": incident.id,
            "cad_number": incident.cad_number,
        },
    )


def _hand_over(
    session: Session,
    incident: Incident,
    from_: str,
    to: str,
    actor: str,
    reason: str,
    custody: dict[str, Any],
) -> None:
    """``custody``: the exact facts the audit replays (agency_id, assignment ids, at)."""
    record(
        session,
        actor=actor,
        action=Action.CUSTODY_TRANSFER,
        object_type="incident",
        object_id=incident.id,
        reason=reason,
        details={
            "from": from_,
            "to": to,
            "recordings": [lk.recording_id for lk in incident.links],
            **custody,
        },
    )
    for link in incident.links:
        transfer_event(session, link.recording_id, incident, from_, to, actor, reason)


def assign_to_agency(
    session: Session,
    incident_id: int,
    *,
    actor: str,
    reason: str,
    agency_id: int | None = None,
    at: datetime | None = None,
) -> CustodyAssignment:
    """Hand the incident and all its footage to an investigating agency (default: MSHP)."""
    reason = need_reason(reason, "a custody hand-over")
    incident = get_incident(session, incident_id)
    agency = default_agency(session) if agency_id is None else session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(f"no agency {agency_id}")
    if incident.agency_id == agency.id:
        raise InvalidChange(f"incident {incident.cad_number} is already with {agency.name}")
    when = at or utcnow()
    from_ = DEPARTMENT
    current = _open_assignment(session, incident.id)
    custody: dict[str, Any] = {"agency_id": agency.id, "at": when.isoformat()}
    if current is not None:
        from_ = current.agency.name
        current.returned_at = when
        current.returned_by = actor
        custody["returned_assignment_id"] = current.id
    assignment = CustodyAssignment(
        incident_id=incident.id,
        agency_id=agency.id,
        assigned_at=when,
        assigned_by=actor,
        reason=reason,
    )
    session.add(assignment)
    incident.agency_id = agency.id
    session.flush()
    custody["assignment_id"] = assignment.id
    _hand_over(session, incident, from_, agency.name, actor, reason, custody)
    session.expire(incident, ["agency"])
    return assignment


def _open_assignment(session: Session, incident_id: int) -> CustodyAssignment | None:
    return session.scalar(
        select(CustodyAssignment)
        .options(selectinload(CustodyAssignment.agency))
        .where(
            CustodyAssignment.incident_id == incident_id,
            CustodyAssignment.returned_at.is_(None),
        )
    )


def return_custody(
    session: Session, incident_id: int, *, actor: str, reason: str, at: datetime | None = None
) -> None:
    """The investigating agency hands the footage back to the department."""
    reason = need_reason(reason, "a custody hand-back")
    incident = get_incident(session, incident_id)
    current = _open_assignment(session, incident.id)
    if current is None or incident.agency_id is None:
        raise InvalidChange(f"incident {incident.cad_number} is not with an outside agency")
    current.returned_at = at or utcnow()
    current.returned_by = actor
    incident.agency_id = None
    session.flush()
    custody = {
        "agency_id": None,
        "at": current.returned_at.isoformat(),
        "returned_assignment_id": current.id,
    }
    _hand_over(session, incident, current.agency.name, DEPARTMENT, actor, reason, custody)
    session.expire(incident, ["agency"])


def custody_history(session: Session, incident_id: int) -> list[CustodyAssignment]:
    return list(
        session.scalars(
            select(CustodyAssignment)
            .options(selectinload(CustodyAssignment.agency))
            .where(CustodyAssignment.incident_id == incident_id)
            .order_by(CustodyAssignment.id)
        )
    )

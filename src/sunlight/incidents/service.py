"""Incidents: create, find, link recordings, hand custody to outside agencies, and track
the investigation status that RSMo 610.100 makes decisive for release.

Every change is a custody event written through ``custody.record`` in the caller's
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, record
from sunlight.evidence.guards import Operation
from sunlight.evidence.models import Officer, Recording
from sunlight.evidence.service import ChangeRefused, InvalidChange, NotFound, check_change
from sunlight.incidents.models import (
    Agency,
    CustodyAssignment,
    Incident,
    IncidentOfficer,
    IncidentRecording,
)

DEPARTMENT = "Kansas City Police Department"
DEFAULT_AGENCY = "Missouri Highway Patrol"

# type -> label. Retention maps these types to categories in retention/policy.yaml.
INCIDENT_TYPES: dict[str, str] = {
    "officer-involved-shooting": "Officer-involved shooting",
    "homicide": "Homicide",
    "use-of-force": "Use of force (Response to Resistance)",
    "first-amendment-assembly": "First Amendment assembly",
    "arrest": "Arrest",
    "traffic-stop": "Traffic stop",
    "call-for-service": "Call for service",
    "other": "Other evidentiary",
    "non-evidentiary": "Non-evidentiary",
}

# RSMo 610.100 §1(3): when an investigation becomes inactive.
INACTIVE_REASONS: dict[str, str] = {
    "not-pursued": "decision not to pursue (RSMo 610.100 §1(3))",
    "limitations": "limitations period expired or 10 years passed (RSMo 610.100 §1(3))",
    "convictions-final": "all convictions final (RSMo 610.100 §1(3))",
}
STATUSES = ("none", "active", "inactive")
TEN_YEARS = 3652  # days; "10 years pass" is counted from the incident's start
SUGGESTION_SLACK = timedelta(minutes=10)


class InvalidTransition(InvalidChange):
    """The investigation state machine refuses an impossible status change."""


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise InvalidChange(f"{what} needs a reason")
    return reason.strip()


# -- agencies ---------------------------------------------------------------------------


def list_agencies(session: Session) -> list[Agency]:
    return list(session.scalars(select(Agency).order_by(Agency.is_default.desc(), Agency.name)))


def default_agency(session: Session) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.is_default.is_(True)))
    if agency is None:  # seeded by migration 0003; recreate if someone removed it
        agency = Agency(name=DEFAULT_AGENCY, short_name="MSHP", is_default=True)
        session.add(agency)
        session.flush()
    return agency


def create_agency(session: Session, *, name: str, short_name: str, actor: str) -> Agency:
    name, short_name = name.strip(), short_name.strip()
    if not name or not short_name:
        raise InvalidChange("an agency needs a name and a short name")
    if session.scalar(select(Agency).where(Agency.name == name)):
        raise InvalidChange(f"agency {name!r} already exists")
    agency = Agency(name=name, short_name=short_name)
    session.add(agency)
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.METADATA_CHANGE,
        object_type="agency",
        object_id=agency.id,
        details={"created": {"name": name, "short_name": short_name}},
    )
    return agency


# -- incidents --------------------------------------------------------------------------


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
) -> list[Incident]:
    query = select(Incident).options(
        selectinload(Incident.agency),
        selectinload(Incident.links),
        selectinload(Incident.officers).selectinload(IncidentOfficer.officer),
    )
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


# -- recordings -------------------------------------------------------------------------


def _recording_end(recording: Recording) -> datetime | None:
    if recording.recorded_at is None:
        return None
    return recording.recorded_at + timedelta(seconds=recording.duration_s or 0)


def suggestions(session: Session, incident: Incident) -> list[Recording]:
    """Recordings by the incident's officers that overlap its time span, not yet linked.

    A person confirms each one; nothing is linked automatically.
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
        _transfer_event(
            session, recording_id, incident, DEPARTMENT, incident.agency.name, actor, reason
        )
    session.expire(incident, ["links"])
    return link


def unlink_recording(
    session: Session, incident_id: int, recording_id: int, *, actor: str, reason: str
) -> None:
    reason = _need_reason(reason, "unlinking a recording")
    incident = get_incident(session, incident_id)
    link = next((lk for lk in incident.links if lk.recording_id == recording_id), None)
    if link is None:
        raise NotFound(f"recording {recording_id} is not linked to {incident.cad_number}")
    if incident.agency is not None:
        raise ChangeRefused(
            f"cannot unlink recording {recording_id}: incident {incident.cad_number} is in "
            f"the custody of {incident.agency.name}"
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


# -- outside investigations ------------------------------------------------------------


def _transfer_event(
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
        _transfer_event(session, link.recording_id, incident, from_, to, actor, reason)


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
    reason = _need_reason(reason, "a custody hand-over")
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
    reason = _need_reason(reason, "a custody hand-back")
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


@dataclass(frozen=True)
class Transition:
    status: str
    reason: str | None = None
    on: date | None = None


def allowed_transitions(incident: Incident) -> list[str]:
    """Statuses the incident may move to next (for forms and documentation)."""
    if incident.investigation_status == "none":
        return ["active"]
    if incident.investigation_status == "active":
        return ["inactive"]
    return ["active"] if incident.inactive_reason == "not-pursued" else []


def set_investigation_status(
    session: Session,
    incident_id: int,
    *,
    status: str,
    actor: str,
    reason: str | None = None,
    on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> Incident:
    """Move the investigation through RSMo 610.100's states, refusing impossible moves.

    none -> active (an investigation opens); active -> inactive, with one of the three
    statutory reasons and the date it became inactive; inactive -> active only after a
    decision not to pursue (new evidence can reopen a case, but time cannot run backwards
    and final convictions stay final).
    """
    incident = get_incident(session, incident_id)
    if status not in STATUSES:
        raise InvalidTransition(f"status must be one of {', '.join(STATUSES)}")
    current = incident.investigation_status
    if status not in allowed_transitions(incident):
        if current == "inactive" and status == "active":
            raise InvalidTransition(
                f"an investigation that became inactive because of "
                f"{INACTIVE_REASONS[incident.inactive_reason or 'not-pursued']} cannot "
                "become active again"
            )
        raise InvalidTransition(f"an investigation cannot go from {current} to {status}")
    today = today or datetime.now(UTC).date()
    on = on or today
    if on > today:
        raise InvalidTransition("the status date cannot be in the future")
    if on < incident.started_at.date():
        raise InvalidTransition("the status date is before the incident")
    if status == "inactive":
        if reason not in INACTIVE_REASONS:
            raise InvalidTransition(
                f"an inactive investigation needs a reason: one of {', '.join(INACTIVE_REASONS)}"
            )
        if reason == "limitations" and (on - incident.started_at.date()).days > TEN_YEARS:
            raise InvalidTransition(
                "10 years after the incident the investigation was already inactive; "
                "use the date the 10 years passed (RSMo 610.100 §1(3): whichever is earlier)"
            )
    elif reason is not None:
        raise InvalidTransition("only an inactive investigation has a reason")
    before = {
        "status": current,
        "reason": incident.inactive_reason,
        "date": incident.status_date.isoformat() if incident.status_date else None,
    }
    incident.investigation_status = status
    incident.inactive_reason = reason if status == "inactive" else None
    incident.status_date = on
    session.flush()
    record(
        session,
        actor=actor,
        action=Action.INVESTIGATION_STATUS,
        object_type="incident",
        object_id=incident.id,
        reason=note,
        details={
            "before": before,
            "after": {"status": status, "reason": incident.inactive_reason, "date": on.isoformat()},
            "statute": "RSMo 610.100",
        },
    )
    return incident


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

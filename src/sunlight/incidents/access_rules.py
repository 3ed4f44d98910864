"""The access policy's conditions about incidents, their outside custody, complaints and
officers' statements, for incidents and for the recordings linked to them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, select

from sunlight.access.conditions import register, register_resource
from sunlight.access.models import Share
from sunlight.access.principal import Principal
from sunlight.access.sharing_rules import active
from sunlight.evidence.models import Officer, Recording
from sunlight.incidents.models import Complaint, Incident, IncidentOfficer, IncidentRecording

#: Report before review applies to these incident types (critical incidents).
CRITICAL_TYPES = ("officer-involved-shooting", "use-of-force")
FIRST_AMENDMENT_TYPES = ("first-amendment-assembly",)

register_resource("incident", Incident, Incident.id)


def _linked(incident_condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """Recordings linked to some incident for which ``incident_condition`` holds."""
    return Recording.id.in_(
        select(IncidentRecording.recording_id)
        .join(Incident, Incident.id == IncidentRecording.incident_id)
        .where(incident_condition)
    )


def _assigned(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return false()
    return Incident.agency_id == principal.agency_id


def _held_by_other(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return Incident.agency_id.is_not(None)
    return and_(Incident.agency_id.is_not(None), Incident.agency_id != principal.agency_id)


def _first_amendment(principal: Principal, now: datetime) -> ColumnElement[bool]:
    return Incident.type.in_(FIRST_AMENDMENT_TYPES)


def _complaint_handled(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return false()
    return exists().where(
        Complaint.incident_id == Incident.id, Complaint.agency_id == principal.agency_id
    )


def _involved(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.officer_id is None:
        return false()
    return exists().where(
        IncidentOfficer.incident_id == Incident.id,
        IncidentOfficer.officer_id == principal.officer_id,
    )


def _before_statement(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.officer_id is None:
        return false()
    return and_(
        Incident.type.in_(CRITICAL_TYPES),
        exists().where(
            IncidentOfficer.incident_id == Incident.id,
            IncidentOfficer.officer_id == principal.officer_id,
            IncidentOfficer.statement_at.is_(None),
        ),
    )


def _own_unit(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if not principal.unit:
        return false()
    return Incident.unit == principal.unit


def _for_recordings(
    condition: Callable[[Principal, datetime], ColumnElement[bool]],
) -> Callable[[Principal, datetime], ColumnElement[bool]]:
    return lambda principal, now: _linked(condition(principal, now))


for name, description, condition in [
    (
        "assigned_to_agency",
        "The incident is assigned to, and held by, the user's agency.",
        _assigned,
    ),
    (
        "held_by_other_agency",
        "Another agency holds custody of the incident.",
        _held_by_other,
    ),
    ("first_amendment", "The incident is a First Amendment assembly.", _first_amendment),
    (
        "complaint_handled_by_agency",
        "A complaint about the incident is handled by the user's agency.",
        _complaint_handled,
    ),
    (
        "involved_before_statement",
        "A critical incident (shooting, serious use of force) in which the user's officer is "
        "involved and has not yet given the initial statement.",
        _before_statement,
    ),
]:
    register(name, description, "incident", condition)
    register(name, description, "recording", _for_recordings(condition))


def _shared_with_agency(principal: Principal, now: datetime) -> ColumnElement[bool]:
    if principal.agency_id is None:
        return false()
    shared = select(Share.recording_id).where(Share.agency_id == principal.agency_id, active(now))
    return exists().where(
        IncidentRecording.incident_id == Incident.id, IncidentRecording.recording_id.in_(shared)
    )


register(
    "shared_with_agency",
    "Some recording of the incident is shared with the user's agency.",
    "incident",
    _shared_with_agency,
)
register(
    "involved_officer", "The user's officer is involved in the incident.", "incident", _involved
)
register("own_unit", "The incident belongs to the user's unit.", "incident", _own_unit)
register(
    "own_recording",
    "The user's officer is involved in the incident.",
    "incident",
    _involved,
)

__all__ = ["CRITICAL_TYPES", "FIRST_AMENDMENT_TYPES", "Officer"]

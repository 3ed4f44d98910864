"""Incidents on the web: JSON endpoints under /api and staff pages under /incidents.

Thin: the rules live in ``sunlight.incidents.service``. Every route declares its permission.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal, decide, may_ever, visible
from sunlight.access.models import Agency
from sunlight.errors import NotFound
from sunlight.evidence.custody import events_for
from sunlight.evidence.models import Officer, Recording
from sunlight.incidents import complaints_api, service
from sunlight.incidents.models import Incident
from sunlight.runtime import Runtime
from sunlight.validation import (
    Day,
    Id,
    SmallId,
    Timestamp,
    check_date,
    check_datetime,
    column_length,
)
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, incident_for, require
from sunlight.web.pages import render

router = APIRouter(tags=["incidents"])


class IncidentIn(BaseModel):
    cad_number: str = Field(min_length=1, max_length=column_length(Incident.cad_number))
    type: str = Field(description="One of: " + ", ".join(service.INCIDENT_TYPES))
    started_at: Timestamp
    ended_at: Timestamp
    location: str | None = Field(default=None, max_length=column_length(Incident.location))
    unit: str | None = Field(default=None, max_length=column_length(Incident.unit))
    narrative: str | None = Field(default=None, max_length=20000)
    officers: list[Badge] = Field(default_factory=list, description="Badge numbers", max_length=500)


Badge = Annotated[str, Field(min_length=1, max_length=column_length(Officer.badge_number))]


class LinkIn(BaseModel):
    recording_id: Id
    how: Literal["manual", "suggested"] = "manual"
    reason: str | None = Field(default=None, max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class CustodyIn(BaseModel):
    agency_id: SmallId | None = Field(default=None, description="Default: Missouri Highway Patrol")
    reason: str = Field(min_length=1, max_length=2000)


class StatusIn(BaseModel):
    status: Literal["none", "active", "inactive"]
    reason: Literal["not-pursued", "limitations", "convictions-final"] | None = None
    on: Day | None = Field(default=None, description="Date of the change (default today)")
    note: str | None = Field(default=None, max_length=2000)


class AgencyIn(BaseModel):
    name: str = Field(min_length=1, max_length=column_length(Agency.name))
    short_name: str = Field(min_length=1, max_length=column_length(Agency.short_name))


def _detail(
    runtime: Runtime, incident_id: SmallId, principal: Principal, now: datetime
) -> dict[str, Any]:
    with runtime.db.session(read_only=True) as session:
        incident = service.get_incident(session, incident_id)
        doc = _summary(incident, _listable(session, principal, [incident], now))
        doc["allowed_transitions"] = service.allowed_transitions(incident)
        doc["suggestions"] = [
            {
                "recording_id": r.id,
                "recorded_at": r.recorded_at.isoformat() if r.recorded_at else None,
                "duration_s": r.duration_s,
                "officer": r.officer.badge_number if r.officer else None,
            }
            for r in service.suggestions(
                session, incident, where=visible(principal, Permission.RECORDING_LIST, now=now)
            )
        ]
        doc["custody_history"] = [
            {
                "agency": a.agency.name,
                "assigned_at": a.assigned_at.isoformat(),
                "assigned_by": a.assigned_by,
                "reason": a.reason,
                "returned_at": a.returned_at.isoformat() if a.returned_at else None,
            }
            for a in service.custody_history(session, incident_id)
        ]
        return doc


def _listable(
    session: Session, principal: Principal, found: list[Incident], now: datetime
) -> set[int]:
    """Of the incidents' linked recordings, those the principal may list at ``now``: an
    incident shows only those (one query for a whole list)."""
    ids = sorted({link.recording_id for incident in found for link in incident.links})
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Recording.id).where(
                Recording.id.in_(ids), visible(principal, Permission.RECORDING_LIST, now=now)
            )
        )
    )


def _summary(incident: Incident, listable: set[int]) -> dict[str, Any]:
    doc = service.incident_summary(incident)
    doc["recordings"] = [r for r in doc["recordings"] if r["recording_id"] in listable]
    return doc


def _recording_in_scope(
    runtime: Runtime, principal: Principal, recording_id: int, now: datetime
) -> None:
    """Linking names a recording too: one the principal cannot see answers 404."""
    with runtime.db.session(read_only=True) as session:
        decision = decide(session, principal, Permission.RECORDING_LIST, recording_id, now=now)
    if not decision.allowed:
        raise NotFound(f"no recording {recording_id}")


# -- JSON -------------------------------------------------------------------------------


@router.get("/api/incidents", summary="List incidents")
def api_list(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_VIEW))],
    type: str | None = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        found = service.list_incidents(
            session,
            type=type,
            status=status,
            text=q,
            where=visible(actor, Permission.INCIDENT_VIEW, now=now),
        )
        listable = _listable(session, actor, found, now)
        return [_summary(i, listable) for i in found]


@router.post("/api/incidents", status_code=201, summary="Create an incident")
def api_create(
    body: IncidentIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        incident = service.create_incident(
            session,
            cad_number=body.cad_number,
            type=body.type,
            started_at=body.started_at,
            ended_at=body.ended_at,
            location=body.location,
            unit=body.unit,
            narrative=body.narrative,
            officer_badges=body.officers,
            actor=actor.id,
        )
        incident_id = incident.id
    return _detail(runtime, incident_id, actor, now_for(request))


@router.get("/api/incidents/{incident_id}", summary="An incident with suggested recordings")
def api_get(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_VIEW))],
) -> dict[str, Any]:
    return _detail(runtime, incident_id, access.principal, access.now)


@router.post("/api/incidents/{incident_id}/recordings", summary="Link a recording")
def api_link(
    incident_id: SmallId,
    body: LinkIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_LINK))],
) -> dict[str, Any]:
    _recording_in_scope(runtime, access.principal, body.recording_id, access.now)
    with runtime.db.session() as session:
        service.link_recording(
            session,
            incident_id,
            body.recording_id,
            actor=access.actor,
            how=body.how,
            reason=body.reason,
        )
    return _detail(runtime, incident_id, access.principal, access.now)


@router.post(
    "/api/incidents/{incident_id}/recordings/{recording_id}/unlink", summary="Unlink a recording"
)
def api_unlink(
    incident_id: SmallId,
    recording_id: Id,
    body: ReasonIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_LINK))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        service.unlink_recording(
            session, incident_id, recording_id, actor=access.actor, reason=body.reason
        )
    return _detail(runtime, incident_id, access.principal, access.now)


@router.post(
    "/api/incidents/{incident_id}/custody",
    summary="Hand the incident and its footage to an investigating agency",
)
def api_assign(
    incident_id: SmallId,
    body: CustodyIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_ASSIGN))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        service.assign_to_agency(
            session,
            incident_id,
            agency_id=body.agency_id,
            actor=access.actor,
            reason=body.reason,
            at=access.now,
        )
    return _detail(runtime, incident_id, access.principal, access.now)


@router.post(
    "/api/incidents/{incident_id}/custody/return", summary="Custody returns to the department"
)
def api_return(
    incident_id: SmallId,
    body: ReasonIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_ASSIGN))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        service.return_custody(
            session, incident_id, actor=access.actor, reason=body.reason, at=access.now
        )
    return _detail(runtime, incident_id, access.principal, access.now)


@router.post("/api/incidents/{incident_id}/status", summary="Investigation status (RSMo 610.100)")
def api_status(
    incident_id: SmallId,
    body: StatusIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_STATUS))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        service.set_investigation_status(
            session,
            incident_id,
            status=body.status,
            reason=body.reason,
            on=body.on,
            note=body.note,
            actor=access.actor,
            today=access.now.date(),
        )
    return _detail(runtime, incident_id, access.principal, access.now)


@router.get("/api/incidents/{incident_id}/events", summary="Custody events of an incident")
def api_events(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_VIEW))],
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        return [
            {
                "id": e.id,
                "occurred_at": e.occurred_at.isoformat(),
                "actor": e.actor,
                "action": e.action,
                "outcome": e.outcome,
                "reason": e.reason,
                "details": e.details,
            }
            for e in events_for(session, "incident", incident_id)
        ]


@router.get("/api/agencies", summary="Investigating agencies")
def api_agencies(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AGENCY_VIEW))],
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        return [
            {"id": a.id, "name": a.name, "short_name": a.short_name, "default": a.is_default}
            for a in service.list_agencies(session)
        ]


@router.post("/api/agencies", status_code=201, summary="Add an investigating agency")
def api_add_agency(
    body: AgencyIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.AGENCY_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        agency = service.create_agency(
            session,
            name=body.name,
            short_name=body.short_name,
            actor=actor.id,
            now=now_for(request),
        )
        return {"id": agency.id, "name": agency.name, "short_name": agency.short_name}


# -- pages ------------------------------------------------------------------------------


def _form_time(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(422, f"{name}: not a date and time") from exc
    if parsed.tzinfo is None:  # a datetime-local field: the browser sent UTC (see the form)
        parsed = parsed.replace(tzinfo=UTC)
    return check_datetime(parsed, name)


@router.get("/incidents", response_class=HTMLResponse, include_in_schema=False)
def incidents_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_VIEW))],
    type: str | None = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        found = service.list_incidents(
            session,
            type=type or None,
            status=status or None,
            text=q or None,
            where=visible(actor, Permission.INCIDENT_VIEW, now=now_for(request)),
        )
        return render(
            request,
            "incidents.html",
            incidents=found,
            types=service.INCIDENT_TYPES,
            statuses=service.STATUSES,
            query={"type": type or "", "status": status or "", "q": q or ""},
        )


@router.post("/incidents", include_in_schema=False)
def create_form(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_MANAGE))],
    cad_number: Annotated[str, Form(max_length=40)],
    type: Annotated[str, Form()],
    started_at: Annotated[str, Form()],
    ended_at: Annotated[str, Form()],
    location: Annotated[str, Form(max_length=300)] = "",
    unit: Annotated[str, Form(max_length=100)] = "",
    officers: Annotated[str, Form(max_length=2000)] = "",
    narrative: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    with runtime.db.session() as session:
        incident = service.create_incident(
            session,
            cad_number=cad_number,
            type=type,
            started_at=_form_time(started_at, "started_at"),
            ended_at=_form_time(ended_at, "ended_at"),
            location=location,
            unit=unit,
            narrative=narrative,
            officer_badges=[b for b in officers.replace(",", " ").split() if b],
            actor=actor.id,
        )
        incident_id = incident.id
    return RedirectResponse(f"/incidents/{incident_id}", status_code=303)


@router.get("/incidents/{incident_id}", response_class=HTMLResponse, include_in_schema=False)
def incident_page(
    request: Request,
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        incident = service.get_incident(session, incident_id)
        return render(
            request,
            "incident.html",
            incident=incident,
            shown_links=_listable(session, access.principal, [incident], access.now),
            types=service.INCIDENT_TYPES,
            reasons=service.INACTIVE_REASONS,
            transitions=service.allowed_transitions(incident),
            suggestions=service.suggestions(
                session,
                incident,
                where=visible(access.principal, Permission.RECORDING_LIST, now=access.now),
            ),
            may_record_statement=may_ever(access.principal, Permission.INCIDENT_STATEMENT),
            agencies=service.list_agencies(session),
            history=service.custody_history(session, incident_id),
            events=events_for(session, "incident", incident_id),
            department_name=service.DEPARTMENT,
        )


def _back(incident_id: SmallId, anchor: str = "") -> Response:
    return RedirectResponse(f"/incidents/{incident_id}{anchor}", status_code=303)


@router.post("/incidents/{incident_id}/links", include_in_schema=False)
def link_form(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_LINK))],
    recording_id: Annotated[Id, Form()],
    how: Annotated[Literal["manual", "suggested"], Form()] = "manual",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _recording_in_scope(runtime, access.principal, recording_id, access.now)
    with runtime.db.session() as session:
        service.link_recording(
            session, incident_id, recording_id, actor=access.actor, how=how, reason=reason or None
        )
    return _back(incident_id, "#recordings")


@router.post("/incidents/{incident_id}/links/{recording_id}/unlink", include_in_schema=False)
def unlink_form(
    incident_id: SmallId,
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_LINK))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.unlink_recording(
            session, incident_id, recording_id, actor=access.actor, reason=reason
        )
    return _back(incident_id, "#recordings")


@router.post("/incidents/{incident_id}/custody", include_in_schema=False)
def assign_form(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_ASSIGN))],
    agency_id: Annotated[SmallId, Form()],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.assign_to_agency(
            session,
            incident_id,
            agency_id=agency_id,
            actor=access.actor,
            reason=reason,
            at=access.now,
        )
    return _back(incident_id, "#custody")


@router.post("/incidents/{incident_id}/custody/return", include_in_schema=False)
def return_form(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_ASSIGN))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.return_custody(
            session, incident_id, actor=access.actor, reason=reason, at=access.now
        )
    return _back(incident_id, "#custody")


@router.post("/incidents/{incident_id}/status", include_in_schema=False)
def status_form(
    incident_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_STATUS))],
    status: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    on: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        day = check_date(date.fromisoformat(on), "date") if on else None
    except ValueError as exc:
        raise HTTPException(422, "date must be YYYY-MM-DD") from exc
    with runtime.db.session() as session:
        service.set_investigation_status(
            session,
            incident_id,
            status=status,
            reason=reason or None,
            on=day,
            note=note or None,
            actor=access.actor,
            today=access.now.date(),
        )
    return _back(incident_id, "#investigation")


router.include_router(complaints_api.router)

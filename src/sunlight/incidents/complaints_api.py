"""Complaints and officers' initial statements on the web (JSON under /api, and the
incident page's statement form). Thin: the rules live in ``incidents.complaints``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from sunlight.access import Permission, Principal, visible
from sunlight.incidents import complaints
from sunlight.incidents.models import Complaint, IncidentOfficer
from sunlight.validation import SmallId, Timestamp, column_length
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, incident_for, require

router = APIRouter(tags=["incidents"])


class ComplaintIn(BaseModel):
    number: str = Field(min_length=1, max_length=column_length(Complaint.number))
    incident_id: SmallId
    agency_id: SmallId = Field(description="The agency that handles it (e.g. civilian oversight)")
    complainant: str = Field(min_length=1, max_length=column_length(Complaint.complainant))
    filed_at: Timestamp


class StatementIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


def _complaint(c: Complaint) -> dict[str, Any]:
    return {
        "id": c.id,
        "number": c.number,
        "incident_id": c.incident_id,
        "agency_id": c.agency_id,
        "agency": c.agency.name,
        "complainant": c.complainant,
        "filed_at": c.filed_at.isoformat(),
        "created_by": c.created_by,
        "closed_at": c.closed_at.isoformat() if c.closed_at else None,
    }


def _statement(io: IncidentOfficer) -> dict[str, Any]:
    return {
        "incident_id": io.incident_id,
        "officer_id": io.officer_id,
        "statement_at": io.statement_at.isoformat() if io.statement_at else None,
        "statement_by": io.statement_by,
    }


@router.post("/api/complaints", status_code=201, summary="Record a complaint and who handles it")
def api_create_complaint(
    body: ComplaintIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLAINT_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        complaint = complaints.create_complaint(session, **body.model_dump(), actor=actor.id)
        session.refresh(complaint, ["agency"])
        return _complaint(complaint)


@router.get("/api/complaints", summary="Complaints (those about incidents one may see)")
def api_list_complaints(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLAINT_VIEW))],
    incident_id: SmallId | None = None,
    agency_id: Annotated[SmallId | None, Query()] = None,
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        found = complaints.list_complaints(
            session,
            where=visible(actor, Permission.INCIDENT_VIEW, now=now_for(request)),
            incident_id=incident_id,
            agency_id=agency_id,
        )
        return [_complaint(c) for c in found]


@router.post(
    "/api/incidents/{incident_id}/officers/{officer_id}/statement",
    summary="Record that an involved officer gave the initial statement (report before review)",
)
def api_statement(
    incident_id: SmallId,
    officer_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_STATEMENT))],
    body: StatementIn | None = None,
) -> dict[str, Any]:
    with runtime.db.session() as session:
        involved = complaints.record_statement(
            session,
            incident_id,
            officer_id,
            actor=access.actor,
            at=access.now,
            note=body.note if body else None,
        )
        return _statement(involved)


@router.post("/incidents/{incident_id}/officers/{officer_id}/statement", include_in_schema=False)
def statement_form(
    incident_id: SmallId,
    officer_id: SmallId,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(incident_for(Permission.INCIDENT_STATEMENT))],
) -> Response:
    with runtime.db.session() as session:
        complaints.record_statement(
            session, incident_id, officer_id, actor=access.actor, at=access.now
        )
    return RedirectResponse(f"/incidents/{incident_id}#officers", status_code=303)

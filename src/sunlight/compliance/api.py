"""Compliance on the web: the monthly report, publishable aggregates, the review queue and
CSV imports of CAD calls and use-of-force reports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import ColumnElement

from sunlight.access import Permission, Principal, decide, visible
from sunlight.compliance import fleet, imports, service
from sunlight.compliance.models import Dock, ReviewItem
from sunlight.compliance.policy import load_policy
from sunlight.errors import NotFound
from sunlight.evidence import service as evidence
from sunlight.runtime import Runtime
from sunlight.validation import SmallId, check_date, column_length
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import require
from sunlight.web.pages import latest_recorded_month, render

router = APIRouter(tags=["compliance"])
ImportKind = Literal["cad", "use-of-force"]


def _month(value: str | None, now: datetime) -> service.Month:
    """The month asked for, or the one before ``now`` (the app's clock)."""
    if not value:
        return service.Month.previous(now)
    return _parse_month(value)


def _parse_month(value: str) -> service.Month:
    month = service.Month.parse(value)
    check_date(date(month.year, month.month, 1), "month")
    return month


class DrawIn(BaseModel):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")

    @field_validator("month")
    @classmethod
    def _known_month(cls, value: str) -> str:
        _parse_month(value)
        return value

    per_unit: int | None = Field(default=None, ge=1, le=100)


class ReviewIn(BaseModel):
    outcome: Literal["compliant", "issue-found"]
    notes: str = Field(default="", max_length=5000)


def _scope(actor: Principal, now: datetime) -> ColumnElement[bool]:
    """The review queue holds the recordings the principal may list at ``now`` (a unit's,
    for its supervisor)."""
    return visible(actor, Permission.RECORDING_LIST, now=now)


def _review_in_scope(runtime: Runtime, actor: Principal, item_id: int, now: datetime) -> None:
    with runtime.db.session(read_only=True) as session:
        item = session.get(ReviewItem, item_id)
        if (
            item is None
            or not decide(
                session, actor, Permission.RECORDING_LIST, item.recording_id, now=now
            ).allowed
        ):
            raise NotFound(f"no review item {item_id}")


def _item(item: ReviewItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "recording_id": item.recording_id,
        "month": item.month,
        "unit": item.unit,
        "drawn_at": item.drawn_at.isoformat(),
        "drawn_by": item.drawn_by,
        "reviewed_at": item.reviewed_at.isoformat() if item.reviewed_at else None,
        "reviewed_by": item.reviewed_by,
        "outcome": item.outcome,
        "notes": item.notes,
    }


@router.get("/api/compliance/report", summary="Compliance report for a month (staff)")
def api_report(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_VIEW))],
    month: str | None = None,
) -> dict[str, Any]:
    with runtime.db.session(read_only=True) as session:
        return service.report(session, _month(month, now_for(request)))


@router.get(
    "/api/compliance/public",
    summary="Aggregate compliance figures for a month: no names, publishable",
)
def api_public(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_PUBLIC))],
    month: str | None = None,
) -> dict[str, Any]:
    with runtime.db.session(read_only=True) as session:
        month_of = _month(month, now_for(request))
        document: dict[str, Any] = service.report(session, month_of)["public"]
        return document


@router.get("/api/compliance/review", summary="The random-review queue")
def api_queue(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_REVIEW))],
    month: str | None = None,
    open_only: bool = False,
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        which = _parse_month(month) if month else None
        return [
            _item(i)
            for i in service.review_queue(
                session, which, open_only=open_only, where=_scope(actor, now_for(request))
            )
        ]


@router.post("/api/compliance/review/draw", summary="Draw a random sample for supervisors")
def api_draw(
    body: DrawIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_REVIEW))],
) -> list[dict[str, Any]]:
    with runtime.db.session() as session:
        drawn = service.draw_review_sample(
            session, _parse_month(body.month), actor=actor.id, per_unit=body.per_unit
        )
        return [_item(i) for i in drawn]


@router.post("/api/compliance/review/{item_id}", summary="Record a supervisor's review")
def api_review(
    item_id: SmallId,
    body: ReviewIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_REVIEW))],
) -> dict[str, Any]:
    _review_in_scope(runtime, actor, item_id, now_for(request))
    with runtime.db.session() as session:
        item = service.complete_review(
            session,
            item_id,
            outcome=body.outcome,
            notes=body.notes,
            actor=actor.id,
            now=now_for(request),
        )
        return _item(item)


@router.post(
    "/api/import/{kind}",
    summary="Import CAD calls or use-of-force reports (CSV request body; all or nothing)",
)
async def api_import(
    kind: ImportKind,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_IMPORT))],
) -> Response:
    data = await request.body()
    result = imports.import_all_or_nothing(runtime.db, kind, data, actor=actor.id)
    return JSONResponse(result.to_dict(), status_code=200 if result.imported else 422)


class DockIn(BaseModel):
    name: str = Field(min_length=1, max_length=column_length(Dock.name))
    location: str | None = Field(default=None, max_length=column_length(Dock.location))
    unit: str | None = Field(default=None, max_length=column_length(Dock.unit))


class DeviceStatusIn(BaseModel):
    status: Literal["in-service", "spare", "in-repair", "lost", "retired"]
    reason: str = Field(min_length=1, max_length=2000)


class DeviceDockIn(BaseModel):
    dock_id: SmallId


@router.get("/api/fleet", summary="Camera fleet: status, funding, dock, holder, last upload")
def api_fleet(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_VIEW))],
) -> dict[str, Any]:
    with runtime.db.session(read_only=True) as session:
        return fleet.fleet(session, now_for(request))


@router.get("/api/docks", summary="Docking stations")
def api_docks(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_VIEW))],
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        return [
            {"id": d.id, "name": d.name, "location": d.location, "unit": d.unit}
            for d in fleet.list_docks(session)
        ]


@router.post("/api/docks", status_code=201, summary="Add a docking station")
def api_add_dock(
    body: DockIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        dock = fleet.create_dock(
            session, name=body.name, location=body.location, unit=body.unit, actor=actor.id
        )
        return {"id": dock.id, "name": dock.name, "location": dock.location, "unit": dock.unit}


@router.post("/api/devices/{device_id}/status", summary="Change a camera's fleet status")
def api_device_status(
    device_id: SmallId,
    body: DeviceStatusIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        device = evidence.set_device_status(
            session, device_id, status=body.status, actor=actor.id, reason=body.reason
        )
        return {"id": device.id, "serial": device.serial, "status": device.status}


@router.post("/api/devices/{device_id}/dock", summary="Set the dock a camera uploads through")
def api_device_dock(
    device_id: SmallId,
    body: DeviceDockIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        link = fleet.assign_dock(
            session,
            device_id=device_id,
            dock_id=body.dock_id,
            actor=actor.id,
            now=now_for(request),
        )
        return {"device_id": device_id, "dock": link.dock.name}


# -- pages ------------------------------------------------------------------------------


def _page(
    request: Request,
    runtime: RuntimeDep,
    actor: Principal,
    month: service.Month,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    with runtime.db.session() as session:
        return render(
            request,
            "compliance.html",
            status_code=status_code,
            report=service.report(session, month),
            queue=service.review_queue(session, month, where=_scope(actor, now_for(request))),
            policy=load_policy(),
            month=str(month),
            latest_month=latest_recorded_month(session),
            **{"result": None, **extra},
        )


@router.get("/compliance", response_class=HTMLResponse, include_in_schema=False)
def compliance_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_VIEW))],
    month: str | None = None,
) -> HTMLResponse:
    return _page(request, runtime, actor, _month(month, now_for(request)))


@router.post("/compliance/import", response_class=HTMLResponse, include_in_schema=False)
async def import_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.INCIDENT_IMPORT))],
    kind: Annotated[ImportKind, Form()],
    file: UploadFile,
) -> HTMLResponse:
    data = await file.read()
    result = imports.import_all_or_nothing(runtime.db, kind, data, actor=actor.id)
    return _page(
        request,
        runtime,
        actor,
        service.Month.previous(now_for(request)),
        status_code=200 if result.imported else 422,
        result=result,
        filename=file.filename,
    )


@router.post("/compliance/review/draw", include_in_schema=False)
def draw_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_REVIEW))],
    month: Annotated[str, Form()],
) -> Response:
    which = _month(month, now_for(request))
    with runtime.db.session() as session:
        service.draw_review_sample(session, which, actor=actor.id)
    return RedirectResponse(f"/compliance?month={which}#review", status_code=303)


@router.post("/compliance/review/{item_id}", include_in_schema=False)
def review_form(
    item_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.COMPLIANCE_REVIEW))],
    outcome: Annotated[str, Form()],
    notes: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    _review_in_scope(runtime, actor, item_id, now_for(request))
    with runtime.db.session() as session:
        item = service.complete_review(
            session, item_id, outcome=outcome, notes=notes, actor=actor.id, now=now_for(request)
        )
        month = item.month
    return RedirectResponse(f"/compliance?month={month}#review", status_code=303)


@router.get("/fleet", response_class=HTMLResponse, include_in_schema=False)
def fleet_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_VIEW))],
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        return render(
            request,
            "fleet.html",
            fleet=fleet.fleet(session, now_for(request)),
            docks=fleet.list_docks(session),
            statuses=evidence.DEVICE_STATUSES,
        )


@router.post("/fleet/docks", include_in_schema=False)
def dock_form(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
    name: Annotated[str, Form(max_length=100)],
    location: Annotated[str, Form(max_length=300)] = "",
    unit: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    with runtime.db.session() as session:
        fleet.create_dock(session, name=name, location=location, unit=unit, actor=actor.id)
    return RedirectResponse("/fleet#docks", status_code=303)


@router.post("/fleet/{device_id}/status", include_in_schema=False)
def device_status_form(
    device_id: SmallId,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
    status: Annotated[str, Form()],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        evidence.set_device_status(session, device_id, status=status, actor=actor.id, reason=reason)
    return RedirectResponse("/fleet", status_code=303)


@router.post("/fleet/{device_id}/dock", include_in_schema=False)
def device_dock_form(
    device_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
    dock_id: Annotated[SmallId, Form()],
) -> Response:
    with runtime.db.session() as session:
        fleet.assign_dock(
            session, device_id=device_id, dock_id=dock_id, actor=actor.id, now=now_for(request)
        )
    return RedirectResponse("/fleet", status_code=303)

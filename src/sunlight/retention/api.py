"""Retention on the web: the published policy, dry-run reports, holds, pending deletions."""

from __future__ import annotations

from copy import copy
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from sqlalchemy import ColumnElement, select

from sunlight.access import Permission, Principal, decide, visible
from sunlight.errors import InvalidInput
from sunlight.evidence.models import Recording
from sunlight.retention import service
from sunlight.retention.guards import open_holds
from sunlight.retention.models import LegalHold, RetentionDeletion
from sunlight.retention.policy import load_policy
from sunlight.retention.report import RunReport
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID, MAX_SMALL_ID, Day, Id, SmallId, parse_date
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import require
from sunlight.web.pages import render

router = APIRouter(tags=["retention"])


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    recording_id: Id | None = None
    incident_id: SmallId | None = None
    reason: str = Field(min_length=1, max_length=2000)


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    as_of: Day | None = Field(
        default=None, description="Only with dry_run: report the schedule as on this day"
    )
    dry_run: StrictBool = True


def _scope(actor: Principal, now: datetime) -> ColumnElement[bool]:
    """Lists of recordings (deletions) show only what the principal may list at ``now``."""
    return visible(actor, Permission.RECORDING_LIST, now=now)


_REPORT_LISTS = ("to_schedule", "to_delete", "blocked", "cancelled", "pending", "locked", "kept_by")
_SCOPE_BATCH = 500


def _scoped(runtime: Runtime, actor: Principal, report: RunReport, now: datetime) -> RunReport:
    """The report's rows about recordings the principal may not list are left out (its
    ``kept`` total is a bare number and stays)."""
    ids = {
        row["recording_id"]
        for name in _REPORT_LISTS
        for row in getattr(report, name)
        if isinstance(row.get("recording_id"), int)
    }
    if not ids:
        return report
    scope = _scope(actor, now)
    seen: set[int] = set()
    ordered = sorted(ids)
    with runtime.db.session(read_only=True) as session:
        for start in range(0, len(ordered), _SCOPE_BATCH):
            batch = ordered[start : start + _SCOPE_BATCH]
            seen.update(session.scalars(select(Recording.id).where(Recording.id.in_(batch), scope)))
    scoped = copy(report)
    for name in _REPORT_LISTS:
        rows = getattr(report, name)
        setattr(
            scoped,
            name,
            [
                r
                for r in rows
                if not isinstance(r.get("recording_id"), int) or r["recording_id"] in seen
            ],
        )
    return scoped


def _hold(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.id,
        "recording_id": h.recording_id,
        "incident_id": h.incident_id,
        "reason": h.reason,
        "placed_by": h.placed_by,
        "placed_at": h.placed_at.isoformat(),
        "released_at": h.released_at.isoformat() if h.released_at else None,
        "released_by": h.released_by,
        "release_reason": h.release_reason,
    }


def _deletion(d: RetentionDeletion) -> dict[str, Any]:
    return {
        "id": d.id,
        "recording_id": d.recording_id,
        "sha256": d.sha256,
        "rule": d.rule,
        "policy_version": d.policy_version,
        "due_on": d.due_on.isoformat(),
        "scheduled_on": d.scheduled_on.isoformat(),
        "grace_until": d.grace_until.isoformat(),
        "status": d.status,
        "closed_at": d.closed_at.isoformat() if d.closed_at else None,
        "closed_by": d.closed_by,
        "close_reason": d.close_reason,
    }


@router.get("/api/retention/policy", summary="The published retention policy")
def api_policy(
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
) -> dict[str, Any]:
    loaded = load_policy()
    return {"sha256": loaded.sha256, **loaded.policy.model_dump(mode="json")}


@router.get("/api/retention/report", summary="Dry run: what the schedule would do on a day")
def api_report(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
    as_of: Day | None = None,
) -> dict[str, Any]:
    now = now_for(request)
    report = service.run(runtime, as_of=as_of or now.date(), dry_run=True, actor=actor.id)
    return _scoped(runtime, actor, report, now).to_dict()


@router.post("/api/retention/run", summary="Run the schedule (dry run unless dry_run=false)")
def api_run(
    body: RunIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_RUN))],
) -> dict[str, Any]:
    # A real run deletes on the schedule's own clock, never on a day the caller names.
    if not body.dry_run and body.as_of is not None:
        raise InvalidInput(
            "as_of is for dry runs only: a real retention run always uses the present time"
        )
    now = now_for(request)  # the app's present: a real run's day, a dry run's default
    report = service.run(
        runtime, as_of=body.as_of or now.date(), dry_run=body.dry_run, actor=actor.id
    )
    return _scoped(runtime, actor, report, now).to_dict()


@router.get("/api/recordings/{recording_id}/retention", summary="Which rule keeps a recording")
def api_decision(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
) -> dict[str, Any]:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        if not decide(session, actor, Permission.RECORDING_LIST, recording_id, now=now).allowed:
            raise HTTPException(404, f"no live recording {recording_id}")
        decision = service.decision_for(session, recording_id)
        if decision is None:
            raise HTTPException(404, f"no live recording {recording_id}")
        return {
            **decision.to_dict(),
            "holds": [_hold(h) for h in open_holds(session, recording_id)],
        }


@router.get("/api/retention/holds", summary="Legal holds")
def api_holds(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
    open_only: bool = True,
) -> list[dict[str, Any]]:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        holds = service.list_holds(
            session,
            open_only=open_only,
            recordings=visible(actor, Permission.RECORDING_LIST, now=now),
            incidents=visible(actor, Permission.INCIDENT_VIEW, now=now),
        )
        return [_hold(h) for h in holds]


@router.post("/api/retention/holds", status_code=201, summary="Place a legal hold")
def api_place_hold(
    body: HoldIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_HOLD))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        hold = service.place_hold(
            session,
            recording_id=body.recording_id,
            incident_id=body.incident_id,
            reason=body.reason,
            actor=actor.id,
        )
        return _hold(hold)


@router.post("/api/retention/holds/{hold_id}/release", summary="Release a legal hold")
def api_release_hold(
    hold_id: SmallId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_HOLD))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        return _hold(
            service.release_hold(
                session, hold_id, actor=actor.id, reason=body.reason, now=now_for(request)
            )
        )


@router.get("/api/retention/deletions", summary="Scheduled deletions (default: pending)")
def api_deletions(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
    status: str | None = "pending",
) -> list[dict[str, Any]]:
    with runtime.db.session(read_only=True) as session:
        return [
            _deletion(d)
            for d in service.list_deletions(
                session, status or None, where=_scope(actor, now_for(request))
            )
        ]


@router.post(
    "/api/retention/deletions/{deletion_id}/undo", summary="Undo a deletion in its grace period"
)
def api_undo(
    deletion_id: SmallId,
    body: ReasonIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_UNDO))],
) -> dict[str, Any]:
    with runtime.db.session() as session:
        return _deletion(
            service.undo_deletion(
                session, deletion_id, actor=actor.id, reason=body.reason, now=now_for(request)
            )
        )


# -- pages ------------------------------------------------------------------------------


@router.get("/retention", response_class=HTMLResponse, include_in_schema=False)
def retention_page(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_VIEW))],
    as_of: str | None = None,
) -> HTMLResponse:
    now = now_for(request)
    try:
        day = parse_date(as_of, "as_of") if as_of else now.date()
    except InvalidInput as exc:
        raise HTTPException(422, "as_of must be YYYY-MM-DD") from exc
    loaded = load_policy()
    report = _scoped(
        runtime, actor, service.run(runtime, as_of=day, dry_run=True, actor=actor.id), now
    )
    with runtime.db.session(read_only=True) as session:
        return render(
            request,
            "retention.html",
            loaded=loaded,
            policy=loaded.policy,
            report=report,
            holds=service.list_holds(
                session,
                recordings=visible(actor, Permission.RECORDING_LIST, now=now),
                incidents=visible(actor, Permission.INCIDENT_VIEW, now=now),
            ),
            pending=service.list_deletions(session, "pending", where=_scope(actor, now)),
            recent=service.list_deletions(session, None, where=_scope(actor, now))[:50],
        )


def _form_id(value: str, limit: int) -> int | None:
    if not value.strip():
        return None
    number = int(value)
    if not 1 <= number <= limit:
        raise InvalidInput(f"{number} is not an id")
    return number


def _back(anchor: str) -> Response:
    return RedirectResponse(f"/retention{anchor}", status_code=303)


@router.post("/retention/holds", include_in_schema=False)
def hold_form(
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_HOLD))],
    reason: Annotated[str, Form(max_length=2000)],
    recording_id: Annotated[str, Form()] = "",
    incident_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        rid = _form_id(recording_id, MAX_ID)
        iid = _form_id(incident_id, MAX_SMALL_ID)
    except (ValueError, InvalidInput) as exc:
        raise HTTPException(422, "recording and incident are numbers") from exc
    with runtime.db.session() as session:
        service.place_hold(
            session, recording_id=rid, incident_id=iid, reason=reason, actor=actor.id
        )
    return _back("#holds")


@router.post("/retention/holds/{hold_id}/release", include_in_schema=False)
def release_form(
    hold_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_HOLD))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.release_hold(session, hold_id, actor=actor.id, reason=reason, now=now_for(request))
    return _back("#holds")


@router.post("/retention/deletions/{deletion_id}/undo", include_in_schema=False)
def undo_form(
    deletion_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_UNDO))],
    reason: Annotated[str, Form(max_length=2000)],
) -> Response:
    with runtime.db.session() as session:
        service.undo_deletion(
            session, deletion_id, actor=actor.id, reason=reason, now=now_for(request)
        )
    return _back("#pending")


@router.post("/retention/run", include_in_schema=False)
def run_form(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RETENTION_RUN))],
) -> Response:
    """Run today's schedule now (what the daily job does), on the app's clock."""
    service.run(runtime, as_of=now_for(request).date(), dry_run=False, actor=actor.id)
    return _back("#pending")

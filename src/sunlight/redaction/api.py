"""Redaction on the web: JSON endpoints under /api/redaction and the review editor page.

Thin: the rules live in ``sunlight.redaction.service``. Every route declares its permission.
Plans are edited in the browser and saved as new versions; nothing here changes a version.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from sunlight.access import Permission, Principal
from sunlight.errors import NotFound
from sunlight.evidence.models import Recording
from sunlight.redaction import service
from sunlight.redaction.plan import AUDIO_MODES, KINDS, PLAN_JSON_SCHEMA, STATUTES
from sunlight.redaction.plan import parse_plan as parse_plan_document
from sunlight.runtime import Runtime
from sunlight.validation import Id
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, check, recording_for, require
from sunlight.web.pages import render

router = APIRouter(tags=["redaction"])


class PlanIn(BaseModel):
    plan: dict[str, Any] = Field(description="A plan document (see /api/redaction/schema)")
    parent_id: Id | None = Field(default=None, description="The version this one edits")
    note: str | None = Field(default=None, max_length=2000)


def _reason_query(access: Access) -> str:
    """The stated reason, carried on the editor's media requests."""
    return "?" + urlencode({"reason": access.reason_text}) if access.reason_text else ""


def _in_scope(
    request: Request, runtime: Runtime, actor: Principal, recording_id: int, missing: str
) -> None:
    """A plan or job is seen by whoever may see its recording's redaction (404 otherwise,
    as for a nonexistent id; 403, recorded, when in scope but refused)."""
    try:
        check(runtime, actor, Permission.REDACTION_VIEW, recording_id, None, now=now_for(request))
    except NotFound:
        raise NotFound(missing) from None


@router.get("/api/redaction/schema", summary="JSON Schema of a redaction plan")
def plan_schema(
    actor: Annotated[Principal, Depends(require(Permission.REDACTION_VIEW))],
) -> dict[str, Any]:
    return PLAN_JSON_SCHEMA


@router.get("/api/redaction/recordings/{recording_id}/plans", summary="Plan versions")
def list_plans(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.REDACTION_VIEW))],
) -> list[dict[str, Any]]:
    return [v.__dict__ for v in service.plan_versions(runtime, recording_id)]


@router.post(
    "/api/redaction/recordings/{recording_id}/plans",
    status_code=201,
    summary="Save an edited plan as the next version",
)
def save_plan(
    recording_id: Id,
    body: PlanIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.REDACTION_EDIT))],
) -> dict[str, Any]:
    plan = parse_plan_document(body.plan)
    version = service.save_plan(
        runtime,
        recording_id,
        plan,
        actor=access.actor,
        source="review",
        parent_id=body.parent_id,
        note=body.note,
    )
    return version.__dict__


@router.get("/api/redaction/plans/{plan_id}", summary="One plan version with its document")
def get_plan(
    plan_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.REDACTION_VIEW))],
) -> dict[str, Any]:
    version, plan = service.get_plan(runtime, plan_id)
    _in_scope(request, runtime, actor, version.recording_id, f"no redaction plan {plan_id}")
    return {"version": version.__dict__, "plan": plan.to_dict()}


@router.post(
    "/api/redaction/recordings/{recording_id}/detect",
    status_code=202,
    summary="Detect faces into a new plan (a background job; idempotent)",
)
def detect(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.REDACTION_EDIT))],
) -> dict[str, Any]:
    return service.request_detection(runtime, recording_id, actor=access.actor).to_dict()


@router.post(
    "/api/redaction/plans/{plan_id}/render",
    status_code=202,
    summary="Render the redacted copy of a plan version (a background job; idempotent)",
)
def render_plan(
    plan_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.REDACTION_RENDER))],
) -> dict[str, Any]:
    version, _ = service.get_plan(runtime, plan_id)
    _in_scope(request, runtime, actor, version.recording_id, f"no redaction plan {plan_id}")
    return service.request_render(runtime, plan_id, actor=actor.id).to_dict()


@router.get("/api/redaction/jobs/{job_id}", summary="A detection or render job's progress")
def get_job(
    job_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.REDACTION_VIEW))],
) -> dict[str, Any]:
    job = service.get_job(runtime, job_id)
    _in_scope(request, runtime, actor, job.recording_id, f"no redaction job {job_id}")
    return job.to_dict()


@router.get("/api/redaction/recordings/{recording_id}/jobs", summary="Jobs of a recording")
def list_jobs(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.REDACTION_VIEW))],
) -> list[dict[str, Any]]:
    return [j.to_dict() for j in service.jobs_for(runtime, recording_id)]


@router.get("/recordings/{recording_id}/redact", response_class=HTMLResponse)
def editor_page(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.REDACTION_EDIT))],
    plan: Id | None = None,
) -> Response:
    with runtime.db.session() as session:
        rec = session.get(Recording, recording_id)
        if rec is None:
            raise HTTPException(404, f"no recording {recording_id}")
        source = "proxy" if rec.proxy_sha256 else "original"
        info = {
            "id": rec.id,
            "title": rec.title or rec.original_filename,
            "sha256": rec.sha256,
            "width": rec.width,
            "height": rec.height,
            "fps": rec.fps,
            "playable": rec.playable and (rec.browser_playable or bool(rec.proxy_sha256)),
            "video_url": f"/api/recordings/{rec.id}/{source}" + _reason_query(access),
        }
    versions = [v.__dict__ for v in service.plan_versions(runtime, recording_id)]
    config = {
        "recording": info,
        "versions": versions,
        "plan_id": plan or (versions[-1]["id"] if versions else None),
        "kinds": list(KINDS),
        "statutes": list(STATUTES),
        "audio_modes": list(AUDIO_MODES),
        "derived": service.derived_from(runtime, recording_id),
    }
    return render(request, "redaction.html", rec=info, config=config)

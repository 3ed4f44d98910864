"""Captions on the web for staff: JSON endpoints under /api/captions and the editor page.

Thin: the rules live in ``sunlight.captions.service``. Every route declares its permission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from sunlight.access import Permission, Principal
from sunlight.captions import service
from sunlight.captions.vtt import CaptionError, Cue, cues_from_json, parse_vtt, transcript_text
from sunlight.errors import NotFound
from sunlight.evidence.models import Recording
from sunlight.runtime import Runtime
from sunlight.validation import Id
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, check, recording_for, require
from sunlight.web.pages import render

router = APIRouter(tags=["captions"])

LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
Language = Annotated[str, Query(min_length=2, max_length=16, pattern=LANGUAGE_PATTERN)]
ViewAccess = Annotated[Access, Depends(recording_for(Permission.CAPTION_VIEW))]
EditAccess = Annotated[Access, Depends(recording_for(Permission.CAPTION_EDIT))]
ApproveAccess = Annotated[Access, Depends(recording_for(Permission.CAPTION_APPROVE))]


class CueModel(BaseModel):
    start_s: float = Field(ge=0, description="Start, seconds from the recording's start")
    end_s: float = Field(gt=0, description="End, seconds")
    text: str = Field(max_length=500)


class VersionOut(BaseModel):
    id: int
    recording_id: int
    language: str
    version: int
    source: str = Field(description="staff | import | recogniser")
    note: str | None
    created_by: str
    created_at: datetime
    vtt_sha256: str = Field(description="SHA-256 of the version's WebVTT text")
    cues: list[CueModel]

    @classmethod
    def of(cls, v: service.VersionView) -> VersionOut:
        return cls(
            id=v.id,
            recording_id=v.recording_id,
            language=v.language,
            version=v.version,
            source=v.source,
            note=v.note,
            created_by=v.created_by,
            created_at=v.created_at,
            vtt_sha256=v.vtt_sha256,
            cues=[CueModel(**c.to_dict()) for c in v.cues],
        )


class TrackOut(BaseModel):
    recording_id: int
    language: str
    status: Literal["draft", "approved"]
    latest_version: int
    approved_version: int | None
    approved_by: str | None
    approved_at: datetime | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, t: service.TrackView) -> TrackOut:
        return cls(
            recording_id=t.recording_id,
            language=t.language,
            status="approved" if t.status == "approved" else "draft",
            latest_version=t.latest_version,
            approved_version=t.approved_version,
            approved_by=t.approved_by,
            approved_at=t.approved_at,
            created_by=t.created_by,
            created_at=t.created_at,
        )


class JobOut(BaseModel):
    id: int
    recording_id: int
    language: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    error: str | None
    result_version_id: int | None
    recogniser: str | None = None
    cues: int | None = None
    dropped_muted: int | None = Field(
        default=None, description="Cues dropped because they touch sound muted by redaction"
    )

    @classmethod
    def of(cls, j: service.JobView) -> JobOut:
        return cls.model_validate(
            {
                "id": j.id,
                "recording_id": j.recording_id,
                "language": j.language,
                "status": j.status,
                "progress": j.progress,
                "error": j.error,
                "result_version_id": j.result_version_id,
                "recogniser": j.details.get("recogniser"),
                "cues": j.details.get("cues"),
                "dropped_muted": j.details.get("dropped_muted"),
            }
        )


class CaptionsOut(BaseModel):
    tracks: list[TrackOut]
    jobs: list[JobOut]


class VersionIn(BaseModel):
    language: str = Field(default="en", max_length=16, pattern=LANGUAGE_PATTERN)
    vtt: str | None = Field(default=None, max_length=1024 * 1024, description="WebVTT text")
    cues: list[CueModel] | None = Field(default=None, max_length=10_000)
    note: str | None = Field(default=None, max_length=2000)


class ApproveIn(BaseModel):
    language: str = Field(default="en", max_length=16, pattern=LANGUAGE_PATTERN)
    version: int = Field(ge=1, le=1_000_000, description="The version approved (the newest)")


class DraftIn(BaseModel):
    language: Literal["en"] = "en"


def _duration(runtime: Runtime, recording_id: int) -> float | None:
    with runtime.db.session(read_only=True) as session:
        rec = session.get(Recording, recording_id)
        return rec.duration_s if rec is not None else None


def _cues_of(runtime: Runtime, recording_id: int, body: VersionIn) -> tuple[list[Cue], str]:
    if (body.vtt is None) == (body.cues is None):
        raise CaptionError("send either vtt (WebVTT text) or cues, not both")
    if body.vtt is not None:
        return parse_vtt(body.vtt, duration_s=_duration(runtime, recording_id)), "import"
    return cues_from_json([c.model_dump() for c in body.cues or []]), "staff"


@router.get("/api/captions/recordings/{recording_id}", summary="Caption tracks and drafts")
def captions_of(recording_id: Id, runtime: RuntimeDep, access: ViewAccess) -> CaptionsOut:
    return CaptionsOut(
        tracks=[TrackOut.of(t) for t in service.tracks_for(runtime, recording_id)],
        jobs=[JobOut.of(j) for j in service.jobs_for(runtime, recording_id)],
    )


@router.get(
    "/api/captions/recordings/{recording_id}/versions",
    summary="A caption track's versions, newest first",
)
def versions(
    recording_id: Id, runtime: RuntimeDep, access: ViewAccess, language: Language = "en"
) -> list[VersionOut]:
    return [VersionOut.of(v) for v in service.list_versions(runtime, recording_id, language)]


@router.get(
    "/api/captions/recordings/{recording_id}/versions/{version}", summary="One caption version"
)
def version(
    recording_id: Id,
    version: Annotated[int, Path(ge=1, le=1_000_000)],
    runtime: RuntimeDep,
    access: ViewAccess,
    language: Language = "en",
) -> VersionOut:
    return VersionOut.of(service.get_version(runtime, recording_id, language, version))


@router.get(
    "/api/captions/recordings/{recording_id}/captions.vtt",
    response_class=Response,
    summary="A caption version as WebVTT (the newest unless version is given)",
)
def vtt_file(
    recording_id: Id,
    runtime: RuntimeDep,
    access: ViewAccess,
    language: Language = "en",
    version: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
) -> Response:
    found = service.get_version(runtime, recording_id, language, version)
    return Response(found.vtt, media_type="text/vtt; charset=utf-8")


@router.post(
    "/api/captions/recordings/{recording_id}/versions",
    status_code=201,
    summary="Save captions (WebVTT text or a cue list) as the track's next version",
)
def save(
    recording_id: Id, body: VersionIn, request: Request, runtime: RuntimeDep, access: EditAccess
) -> VersionOut:
    cues, source = _cues_of(runtime, recording_id, body)
    saved = service.save_version(
        runtime,
        recording_id,
        cues,
        language=body.language,
        actor=access.actor,
        source=source,
        note=body.note,
        now=now_for(request),
    )
    return VersionOut.of(saved)


@router.post(
    "/api/captions/recordings/{recording_id}/approve",
    summary="Approve the newest caption version for release",
)
def approve(
    recording_id: Id,
    body: ApproveIn,
    request: Request,
    runtime: RuntimeDep,
    access: ApproveAccess,
) -> TrackOut:
    track = service.approve(
        runtime,
        recording_id,
        version=body.version,
        language=body.language,
        actor=access.actor,
        now=now_for(request),
    )
    return TrackOut.of(track)


@router.post(
    "/api/captions/recordings/{recording_id}/draft",
    status_code=202,
    summary="Draft captions from speech (a background job; idempotent)",
)
def draft(recording_id: Id, body: DraftIn, runtime: RuntimeDep, access: EditAccess) -> JobOut:
    job = service.request_draft(runtime, recording_id, actor=access.actor, language=body.language)
    return JobOut.of(job)


@router.get("/api/captions/jobs/{job_id}", summary="A speech draft job's progress")
def job(
    job_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.CAPTION_VIEW))],
) -> JobOut:
    found = service.get_job(runtime, job_id)
    try:
        check(
            runtime, actor, Permission.CAPTION_VIEW, found.recording_id, None, now=now_for(request)
        )
    except NotFound:
        raise NotFound(f"no caption job {job_id}") from None
    return JobOut.of(found)


# --- the staff page ----------------------------------------------------------------------


def _page(
    request: Request,
    runtime: Runtime,
    access: Access,
    *,
    language: str,
    text: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with runtime.db.session(read_only=True) as session:
        rec = session.get(Recording, access.resource_id)
        if rec is None:
            raise NotFound(f"no recording {access.resource_id}")
        info = {
            "id": rec.id,
            "title": rec.title or rec.original_filename,
            "duration_s": rec.duration_s,
        }
    track = service.get_track(runtime, rec.id, language)
    latest = service.get_version(runtime, rec.id, language) if track else None
    return render(
        request,
        "captions.html",
        status_code=status_code,
        rec=info,
        language=language,
        track=track,
        latest=latest,
        text=text if text is not None else (latest.vtt if latest else "WEBVTT\n\n"),
        transcript=transcript_text(latest.cues) if latest else "",
        versions=service.list_versions(runtime, rec.id, language) if track else [],
        jobs=service.jobs_for(runtime, rec.id),
        mutes=service.muted_ranges(runtime, rec.id),
        error=error,
    )


def _back(recording_id: int, language: str) -> RedirectResponse:
    suffix = "" if language == "en" else f"?language={language}"
    return RedirectResponse(f"/recordings/{recording_id}/captions{suffix}", status_code=303)


@router.get("/recordings/{recording_id}/captions", response_class=HTMLResponse)
def editor_page(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: ViewAccess,
    language: Language = "en",
) -> HTMLResponse:
    return _page(request, runtime, access, language=language)


@router.post("/recordings/{recording_id}/captions", include_in_schema=False)
def form_save(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: EditAccess,
    vtt: Annotated[str, Form(max_length=1024 * 1024)],
    language: Annotated[str, Form(max_length=16, pattern=LANGUAGE_PATTERN)] = "en",
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    try:
        cues = parse_vtt(vtt, duration_s=_duration(runtime, recording_id))
        service.save_version(
            runtime,
            recording_id,
            cues,
            language=language,
            actor=access.actor,
            source="staff",
            note=note or None,
            now=now_for(request),
        )
    except CaptionError as exc:
        return _page(
            request,
            runtime,
            access,
            language=language,
            text=vtt,
            error=exc.message,
            status_code=422,
        )
    return _back(recording_id, language)


@router.post("/recordings/{recording_id}/captions/draft", include_in_schema=False)
def form_draft(recording_id: Id, runtime: RuntimeDep, access: EditAccess) -> Response:
    service.request_draft(runtime, recording_id, actor=access.actor)
    return _back(recording_id, "en")


@router.post("/recordings/{recording_id}/captions/approve", include_in_schema=False)
def form_approve(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: ApproveAccess,
    version: Annotated[int, Form(ge=1, le=1_000_000)],
    language: Annotated[str, Form(max_length=16, pattern=LANGUAGE_PATTERN)] = "en",
) -> Response:
    service.approve(
        runtime,
        recording_id,
        version=version,
        language=language,
        actor=access.actor,
        now=now_for(request),
    )
    return _back(recording_id, language)

"""The JSON API (documented at /api/docs). Thin: rules live in the evidence domain."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from sunlight.access import Permission, Principal, visible
from sunlight.evidence import service
from sunlight.evidence.custody import Action, events_for
from sunlight.evidence.media_types import video_type
from sunlight.validation import Id, SmallId, Timestamp
from sunlight.web.access_log import log_read
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, check, recording_for, require
from sunlight.web.ranges import object_response
from sunlight.web.schemas import (
    AssignmentIn,
    CustodyEventOut,
    DeviceIn,
    DeviceOut,
    FlagIn,
    FlagOut,
    OfficerIn,
    OfficerOut,
    ReasonIn,
    RecordingDetail,
    RecordingPage,
    RecordingPatch,
    RecordingSummary,
)

router = APIRouter(prefix="/api", tags=["evidence"])

DerivativeKind = Literal["proxy", "poster", "thumbnails"]
MAX_PAGE = 10**9  # page * per_page stays far inside a 64-bit OFFSET
_DERIVATIVE_TYPES = {"proxy": "video/mp4", "poster": "image/jpeg", "thumbnails": "image/jpeg"}


@router.get("/recordings", response_model=RecordingPage, summary="List and filter recordings")
def list_recordings(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.RECORDING_LIST))],
    officer_id: SmallId | None = None,
    device_id: SmallId | None = None,
    recorded_from: Annotated[Timestamp | None, Query(alias="from")] = None,
    recorded_to: Annotated[Timestamp | None, Query(alias="to")] = None,
    status: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    per_page: Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)] = 25,
) -> RecordingPage:
    filters = service.RecordingFilter(
        officer_id=officer_id,
        device_id=device_id,
        recorded_from=recorded_from,
        recorded_to=recorded_to,
        status=status,
        text=q,
    )
    with runtime.db.session(read_only=True) as session:
        result = service.list_recordings(
            session,
            filters,
            page=page,
            per_page=per_page,
            where=visible(actor, Permission.RECORDING_LIST, now=now_for(request)),
        )
        return RecordingPage(
            items=[RecordingSummary.of(r) for r in result.items],
            total=result.total,
            page=result.page,
            per_page=result.per_page,
            pages=result.pages,
        )


@router.get("/recordings/{recording_id}", response_model=RecordingDetail)
def get_recording(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_VIEW))],
) -> RecordingDetail:
    """Metadata of one recording, including the SHA-256 of its original bytes."""
    with runtime.db.session(read_only=True) as session:
        detail = RecordingDetail.of(service.get_recording(session, recording_id))
    log_read(
        runtime,
        access.principal,
        Action.VIEW,
        recording_id,
        now=access.now,
        reason=access.reason_text,
        details=access.log_details(),
    )
    return detail


@router.patch("/recordings/{recording_id}", response_model=RecordingDetail)
def update_recording(
    recording_id: Id,
    body: RecordingPatch,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_EDIT))],
) -> RecordingDetail:
    """Change descriptive metadata with a reason; the custody event keeps before and after."""
    actor = access.principal
    changes = body.model_dump(exclude_unset=True)
    reason = changes.pop("reason")
    with runtime.db.session() as session:
        recording = service.update_recording(
            session, recording_id, changes, actor=actor.id, reason=reason
        )
        session.refresh(recording)
        return RecordingDetail.of(service.get_recording(session, recording_id))


_ORIGINAL = {
    "summary": "The exact original bytes (HTTP Range supported)",
    "response_class": Response,
    "responses": {
        200: {"content": {"video/*": {}, "application/octet-stream": {}}},
        206: {"description": "Partial content"},
        416: {"description": "Range not satisfiable"},
    },
}


@router.get("/recordings/{recording_id}/original", **_ORIGINAL)  # type: ignore[arg-type]
@router.head("/recordings/{recording_id}/original", **_ORIGINAL)  # type: ignore[arg-type]
def get_original(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_STREAM))],
    download: bool = False,
    reason: Annotated[
        str | None,
        Query(max_length=2000, description="Why (`<reason id>: <text>`), where policy asks"),
    ] = None,
) -> Response:
    """Play (or, with ``download=1``, download: recording:download) the original."""
    if download:  # downloading is its own permission, decided on the same recording
        access = check(
            runtime,
            access.principal,
            Permission.RECORDING_DOWNLOAD,
            recording_id,
            access.reason_text,
            now=access.now,
        )
    with runtime.db.session(read_only=True) as session:
        recording = service.get_recording(session, recording_id)
        sha256, filename = recording.sha256, recording.original_filename
    action = Action.DOWNLOAD if download else Action.STREAM
    if request.method == "GET":
        log_read(
            runtime,
            access.principal,
            action,
            recording_id,
            now=access.now,
            reason=access.reason_text,
            details={"copy": "original", **access.log_details()},
        )
    media_type = video_type(filename)
    return object_response(
        request,
        runtime.store,
        sha256,
        media_type=media_type,
        filename=filename,
        inline=not download,
    )


# Before /recordings/{id}/{kind}, which would otherwise take "custody" as a kind (422).
@router.get("/recordings/{recording_id}/custody", response_model=list[CustodyEventOut])
def custody_events(
    recording_id: Id,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.CUSTODY_VIEW))],
) -> list[CustodyEventOut]:
    with runtime.db.session(read_only=True) as session:
        service.get_recording(session, recording_id)
        return [CustodyEventOut.of(e) for e in events_for(session, "recording", recording_id)]


_DERIVATIVE = {
    "summary": "Playback proxy (H.264/AAC MP4), poster frame or thumbnail strip",
    "response_class": Response,
}


@router.get("/recordings/{recording_id}/{kind}", **_DERIVATIVE)  # type: ignore[arg-type]
@router.head("/recordings/{recording_id}/{kind}", **_DERIVATIVE)  # type: ignore[arg-type]
def get_derivative(
    recording_id: Id,
    kind: DerivativeKind,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_STREAM))],
) -> Response:
    """A derivative of the footage; the same permission (and reason) as playing it."""
    with runtime.db.session(read_only=True) as session:
        recording = service.get_recording(session, recording_id)
        sha256 = {
            "proxy": recording.proxy_sha256,
            "poster": recording.poster_sha256,
            "thumbnails": recording.thumbs_sha256,
        }[kind]
    if sha256 is None:
        raise HTTPException(404, f"no {kind} for recording {recording_id} (yet)")
    if kind == "proxy" and request.method == "GET":
        log_read(
            runtime,
            access.principal,
            Action.STREAM,
            recording_id,
            now=access.now,
            reason=access.reason_text,
            details={"copy": "proxy", **access.log_details()},
        )
    return object_response(request, runtime.store, sha256, media_type=_DERIVATIVE_TYPES[kind])


@router.post("/recordings/{recording_id}/flags", response_model=FlagOut, status_code=201)
def add_flag(
    recording_id: Id,
    body: FlagIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_FLAG))],
) -> FlagOut:
    with runtime.db.session() as session:
        flag = service.flag_recording(
            session, recording_id, kind=body.kind, reason=body.reason, actor=access.actor
        )
        return FlagOut.of(flag)


@router.post("/recordings/{recording_id}/flags/{flag_id}/clear", response_model=FlagOut)
def clear_flag(
    recording_id: Id,
    flag_id: SmallId,
    body: ReasonIn,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.RECORDING_FLAG))],
) -> FlagOut:
    with runtime.db.session() as session:
        flag = service.clear_flag(
            session,
            recording_id,
            flag_id,
            actor=access.actor,
            reason=body.reason,
            now=access.now,
        )
        return FlagOut.of(flag)


@router.get("/officers", response_model=list[OfficerOut], tags=["registry"])
def list_officers(
    runtime: RuntimeDep, actor: Annotated[Principal, Depends(require(Permission.OFFICER_VIEW))]
) -> list[OfficerOut]:
    with runtime.db.session(read_only=True) as session:
        return [OfficerOut.of(o) for o in service.list_officers(session)]


@router.post("/officers", response_model=OfficerOut, status_code=201, tags=["registry"])
def create_officer(
    body: OfficerIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.OFFICER_MANAGE))],
) -> OfficerOut:
    with runtime.db.session() as session:
        officer = service.create_officer(
            session,
            badge_number=body.badge_number,
            name=body.name,
            unit=body.unit,
            actor=actor.id,
        )
        return OfficerOut.of(officer)


@router.get("/devices", response_model=list[DeviceOut], tags=["registry"])
def list_devices(
    runtime: RuntimeDep, actor: Annotated[Principal, Depends(require(Permission.DEVICE_VIEW))]
) -> list[DeviceOut]:
    with runtime.db.session(read_only=True) as session:
        last = service.last_upload_by_device(session)
        return [DeviceOut.of(d, last.get(d.id)) for d in service.list_devices(session)]


@router.post("/devices", response_model=DeviceOut, status_code=201, tags=["registry"])
def create_device(
    body: DeviceIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
) -> DeviceOut:
    with runtime.db.session() as session:
        device = service.create_device(session, **body.model_dump(), actor=actor.id)
        return DeviceOut.of(device)


@router.post(
    "/devices/{device_id}/assignments",
    response_model=DeviceOut,
    status_code=201,
    tags=["registry"],
)
def assign_device(
    device_id: SmallId,
    body: AssignmentIn,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.DEVICE_MANAGE))],
) -> DeviceOut:
    if body.at.tzinfo is None:
        raise HTTPException(422, "'at' needs a timezone offset")
    with runtime.db.session() as session:
        service.assign_device(
            session,
            device_id=device_id,
            officer_id=body.officer_id,
            at=body.at,
            actor=actor.id,
        )
        device = next(d for d in service.list_devices(session) if d.id == device_id)
        return DeviceOut.of(device)

"""JSON shapes of the API (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sunlight.evidence.models import CustodyEvent, Device, Officer, Recording, RecordingFlag
from sunlight.validation import SmallId, Timestamp, column_length


class OfficerOut(BaseModel):
    id: int
    badge_number: str
    name: str
    unit: str | None
    active: bool

    @classmethod
    def of(cls, o: Officer) -> OfficerOut:
        return cls(id=o.id, badge_number=o.badge_number, name=o.name, unit=o.unit, active=o.active)


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    badge_number: str = Field(min_length=1, max_length=column_length(Officer.badge_number))
    name: str = Field(min_length=1, max_length=column_length(Officer.name))
    unit: str | None = Field(default=None, max_length=column_length(Officer.unit))


class AssignmentOut(BaseModel):
    officer_id: int
    badge_number: str
    started_at: datetime
    ended_at: datetime | None


class DeviceOut(BaseModel):
    id: int
    serial: str
    vendor: str
    model: str
    kind: str
    funding_source: str | None
    status: str
    assignments: list[AssignmentOut] = []
    last_upload_at: datetime | None = None

    @classmethod
    def of(cls, d: Device, last_upload_at: datetime | None = None) -> DeviceOut:
        return cls(
            id=d.id,
            serial=d.serial,
            vendor=d.vendor,
            model=d.model,
            kind=d.kind,
            funding_source=d.funding_source,
            status=d.status,
            assignments=[
                AssignmentOut(
                    officer_id=a.officer_id,
                    badge_number=a.officer.badge_number,
                    started_at=a.started_at,
                    ended_at=a.ended_at,
                )
                for a in d.assignments
            ],
            last_upload_at=last_upload_at,
        )


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    serial: str = Field(min_length=1, max_length=column_length(Device.serial))
    vendor: str = Field(min_length=1, max_length=column_length(Device.vendor))
    model: str = Field(min_length=1, max_length=column_length(Device.model))
    kind: Literal["body", "in-car"] = "body"
    funding_source: str | None = Field(
        default=None, max_length=column_length(Device.funding_source)
    )


class AssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer_id: SmallId
    at: Timestamp


class FlagOut(BaseModel):
    id: int
    kind: str
    reason: str
    created_by: str
    created_at: datetime
    cleared_at: datetime | None

    @classmethod
    def of(cls, f: RecordingFlag) -> FlagOut:
        return cls(
            id=f.id,
            kind=f.kind,
            reason=f.reason,
            created_by=f.created_by,
            created_at=f.created_at,
            cleared_at=f.cleared_at,
        )


class FlagIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: str = Field(min_length=1, max_length=column_length(RecordingFlag.kind))
    reason: str = Field(min_length=1, max_length=2000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class RecordingPatch(BaseModel):
    """Descriptive metadata only: the bytes of evidence can never be changed."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    title: str | None = Field(default=None, max_length=column_length(Recording.title))
    notes: str | None = Field(default=None, max_length=10000)
    officer_id: SmallId | None = None
    device_id: SmallId | None = None
    recorded_at: Timestamp | None = None


class RecordingSummary(BaseModel):
    id: int
    sha256: str
    size_bytes: int
    original_filename: str
    title: str | None
    recorded_at: datetime | None
    ingested_at: datetime
    officer: OfficerOut | None
    device_serial: str | None
    duration_s: float | None
    playable: bool
    unplayable_reason: str | None
    derivatives_status: str
    open_flags: list[FlagOut]

    @classmethod
    def of(cls, r: Recording) -> RecordingSummary:
        return cls(
            id=r.id,
            sha256=r.sha256,
            size_bytes=r.size_bytes,
            original_filename=r.original_filename,
            title=r.title,
            recorded_at=r.recorded_at,
            ingested_at=r.ingested_at,
            officer=OfficerOut.of(r.officer) if r.officer else None,
            device_serial=r.device.serial if r.device else None,
            duration_s=r.duration_s,
            playable=r.playable,
            unplayable_reason=r.unplayable_reason,
            derivatives_status=r.derivatives_status,
            open_flags=[FlagOut.of(f) for f in r.open_flags],
        )


class RecordingDetail(RecordingSummary):
    notes: str | None
    recorded_at_source: str | None
    ingest_source: str
    device: DeviceOut | None
    browser_playable: bool
    container: str | None
    video_codec: str | None
    audio_codec: str | None
    width: int | None
    height: int | None
    fps: float | None
    gps: tuple[float, float] | None
    media_info: dict[str, Any]
    proxy_sha256: str | None
    poster_sha256: str | None
    thumbs_sha256: str | None
    flags: list[FlagOut]
    links: dict[str, str]

    @classmethod
    def of(cls, r: Recording) -> RecordingDetail:
        base = RecordingSummary.of(r).model_dump()
        prefix = f"/api/recordings/{r.id}"
        links = {"self": prefix, "original": f"{prefix}/original", "custody": f"{prefix}/custody"}
        if r.proxy_sha256:
            links["proxy"] = f"{prefix}/proxy"
        if r.poster_sha256:
            links["poster"] = f"{prefix}/poster"
        if r.thumbs_sha256:
            links["thumbnails"] = f"{prefix}/thumbnails"
        return cls(
            **base,
            notes=r.notes,
            recorded_at_source=r.recorded_at_source,
            ingest_source=r.ingest_source,
            device=DeviceOut.of(r.device) if r.device else None,
            browser_playable=r.browser_playable,
            container=r.container,
            video_codec=r.video_codec,
            audio_codec=r.audio_codec,
            width=r.width,
            height=r.height,
            fps=r.fps,
            gps=(r.gps_lat, r.gps_lon) if r.gps_lat is not None and r.gps_lon is not None else None,
            media_info=dict(r.media_info or {}),
            proxy_sha256=r.proxy_sha256,
            poster_sha256=r.poster_sha256,
            thumbs_sha256=r.thumbs_sha256,
            flags=[FlagOut.of(f) for f in r.flags],
            links=links,
        )


class RecordingPage(BaseModel):
    items: list[RecordingSummary]
    total: int
    page: int
    per_page: int
    pages: int


class CustodyEventOut(BaseModel):
    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    reason: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, e: CustodyEvent) -> CustodyEventOut:
        return cls(
            id=e.id,
            occurred_at=e.occurred_at,
            actor=e.actor,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            outcome=e.outcome,
            reason=e.reason,
            details=dict(e.details or {}),
        )

"""Ingest: bytes into content-addressed storage, then one transaction for the record.

Order (crash-safe): probe the source, store the bytes durably (temp, fsync, rename, fsync
folder), then commit the recording and its custody events together, then acknowledge.
A crash before the commit leaves at most an unreferenced object (content-addressed, so a
retry reuses it; an upload's staged copy stays until the commit, so `sunlight reconcile`
records it; anything else is reported as an orphan by reconcile and the audit); a crash
after leaves a complete, verified recording.
Files that are not valid video are still evidence: stored, hashed and flagged, never refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError as DBIntegrityError
from sqlalchemy.orm import Session

from sunlight import validation
from sunlight.errors import InvalidInput
from sunlight.evidence.custody import Action, record
from sunlight.evidence.derivatives import TASK_NAME as DERIVATIVES_TASK
from sunlight.evidence.models import Device, DeviceAssignment, Officer, Recording, RecordingFlag
from sunlight.media import MediaInfo, probe
from sunlight.runtime import Runtime
from sunlight.storage.base import ProgressCallback

SIDECAR_FIELDS = {"officer", "device", "recorded_at", "title", "notes"}
MAX_FILENAME_CHARS = 255


class IngestError(InvalidInput):
    """Metadata supplied with a file is invalid; nothing was stored or recorded."""


@dataclass(frozen=True)
class IngestMetadata:
    original_filename: str
    officer_badge: str | None = None
    device_serial: str | None = None
    recorded_at: datetime | None = None
    title: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class IngestResult:
    status: Literal["ingested", "duplicate"]
    recording_id: int
    sha256: str
    size: int
    filename: str
    flagged: bool
    flag_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "recording_id": self.recording_id,
            "sha256": self.sha256,
            "size": self.size,
            "filename": self.filename,
            "flagged": self.flagged,
            "flag_reason": self.flag_reason,
        }


def check_filename(name: str) -> str:
    """A display name only (storage is by hash), but refuse names that smuggle paths."""
    if not name or not name.strip():
        raise IngestError("filename is empty")
    if len(name) > MAX_FILENAME_CHARS:
        raise IngestError(f"filename is longer than {MAX_FILENAME_CHARS} characters")
    if "/" in name or "\\" in name or name in {".", ".."}:
        raise IngestError(f"filename must not contain a path: {name!r}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise IngestError("filename contains control characters")
    return name


def parse_timestamp(value: str, field: str = "recorded_at") -> datetime:
    """ISO 8601 with an explicit offset; a bare local time is ambiguous evidence."""
    if not isinstance(value, str):
        raise IngestError(f"{field}: not an ISO 8601 date-time: {value!r}")
    try:
        parsed = validation.parse_datetime(value, field)
    except InvalidInput as exc:
        raise IngestError(exc.message) from exc
    return parsed.astimezone(UTC)


def check_metadata_text(meta: IngestMetadata) -> None:
    """Text and dates that every back end stores (see sunlight.validation)."""
    fields: list[tuple[str, str | None, Any]] = [
        ("filename", meta.original_filename, Recording.original_filename),
        ("title", meta.title, Recording.title),
        ("notes", meta.notes, None),
        ("officer", meta.officer_badge, Officer.badge_number),
        ("device", meta.device_serial, Device.serial),
    ]
    try:
        for name, value, column in fields:
            if value is not None:
                validation.check_text(value, name, column=column)
        if meta.recorded_at is not None:
            validation.check_datetime(meta.recorded_at, "recorded_at")
    except InvalidInput as exc:
        raise IngestError(exc.message) from exc


def sidecar_for(path: Path) -> Path | None:
    for candidate in (path.with_name(path.name + ".json"), path.with_suffix(".json")):
        if candidate != path and candidate.is_file():
            return candidate
    return None


def read_sidecar(path: Path, max_bytes: int) -> dict[str, Any]:
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(f"{path.name}: sidecar is {size} bytes, over the {max_bytes} limit")
    try:
        data = validation.loads_json(path.read_bytes())
    except InvalidInput as exc:
        raise IngestError(f"{path.name}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise IngestError(f"{path.name}: must be a JSON object")
    unknown = set(data) - SIDECAR_FIELDS
    if unknown:
        raise IngestError(
            f"{path.name}: unknown fields {sorted(unknown)}; allowed: {sorted(SIDECAR_FIELDS)}"
        )
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise IngestError(f"{path.name}: {key} must be a string")
    return data


def metadata_from(
    path: Path,
    *,
    officer: str | None,
    device: str | None,
    recorded_at: datetime | None,
    max_sidecar_bytes: int,
) -> IngestMetadata:
    """Options given on the command line win over the sidecar file's values."""
    sidecar_path = sidecar_for(path)
    sidecar = read_sidecar(sidecar_path, max_sidecar_bytes) if sidecar_path else {}
    when = recorded_at
    if when is None and sidecar.get("recorded_at"):
        when = parse_timestamp(sidecar["recorded_at"])
    meta = IngestMetadata(
        original_filename=check_filename(path.name),
        officer_badge=officer or sidecar.get("officer"),
        device_serial=device or sidecar.get("device"),
        recorded_at=when,
        title=sidecar.get("title"),
        notes=sidecar.get("notes"),
    )
    if sidecar_path is not None:
        try:
            check_metadata_text(meta)
        except IngestError as exc:
            raise IngestError(f"{sidecar_path.name}: {exc}") from exc
    return meta


def resolve_people(session: Session, meta: IngestMetadata) -> tuple[Officer | None, Device | None]:
    officer = device = None
    if meta.officer_badge:
        officer = session.scalar(select(Officer).where(Officer.badge_number == meta.officer_badge))
        if officer is None:
            raise IngestError(f"no officer with badge number {meta.officer_badge!r}")
    if meta.device_serial:
        device = session.scalar(select(Device).where(Device.serial == meta.device_serial))
        if device is None:
            raise IngestError(f"no camera with serial number {meta.device_serial!r}")
    return officer, device


def holder_at(session: Session, device: Device, when: datetime) -> Officer | None:
    """The officer a camera was assigned to at a moment, from the assignment history."""
    assignment = session.scalar(
        select(DeviceAssignment)
        .where(
            DeviceAssignment.device_id == device.id,
            DeviceAssignment.started_at <= when,
            (DeviceAssignment.ended_at.is_(None)) | (DeviceAssignment.ended_at > when),
        )
        .order_by(DeviceAssignment.started_at.desc())
        .limit(1)
    )
    return assignment.officer if assignment else None


def check_metadata(runtime: Runtime, meta: IngestMetadata) -> None:
    """Fail fast, before any bytes move, on metadata that names unknown people or cameras
    or that no database could store (too long, NUL characters, dates out of range)."""
    check_filename(meta.original_filename)
    check_metadata_text(meta)
    with runtime.db.session() as session:
        resolve_people(session, meta)


def ingest_file(
    runtime: Runtime,
    path: Path,
    meta: IngestMetadata,
    *,
    actor: str,
    source: str,
    known_sha256: str | None = None,
    move: bool = False,
    link: bool = False,
    progress: ProgressCallback | None = None,
) -> IngestResult:
    """Ingest one file. With ``move`` the file is consumed; otherwise it is copied.

    ``link`` (uploads, with ``known_sha256``) stores the file without consuming it (a hard
    link where the store allows, a copy otherwise): the caller deletes its file only after
    this returns, so a failure before the commit leaves the bytes where a retry, or
    ``sunlight reconcile``, finds them.
    """
    check_metadata(runtime, meta)
    info = probe(path)
    file_mtime = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    stored = runtime.store.put_file(
        path, sha256=known_sha256, move=move, link=link, progress=progress
    )

    try:
        with runtime.db.session() as session:
            existing = session.scalar(select(Recording).where(Recording.sha256 == stored.sha256))
            if existing is not None:
                return _duplicate(session, existing, meta, actor=actor, source=source)
            recording = _new_recording(
                session, info, meta, stored.sha256, stored.size, source, file_mtime
            )
            _record_ingest(session, recording, info, actor=actor, source=source)
            result = _result("ingested", recording)
    except DBIntegrityError:
        # Another process committed the same bytes between our check and our insert.
        with runtime.db.session() as session:
            existing = session.scalar(select(Recording).where(Recording.sha256 == stored.sha256))
            if existing is None:
                raise
            return _duplicate(session, existing, meta, actor=actor, source=source)

    if recording.playable:
        runtime.jobs.enqueue(DERIVATIVES_TASK, result.recording_id)
    return result


def _new_recording(
    session: Session,
    info: MediaInfo,
    meta: IngestMetadata,
    sha256: str,
    size: int,
    source: str,
    file_mtime: datetime,
) -> Recording:
    officer, device = resolve_people(session, meta)
    if meta.recorded_at is not None:
        recorded_at, when_source = meta.recorded_at, "operator"
    elif info.creation_time is not None:
        recorded_at, when_source = info.creation_time, "container"
    else:
        recorded_at, when_source = file_mtime, "file-mtime"
    if officer is None and device is not None:
        officer = holder_at(session, device, recorded_at)
    gps = info.gps
    recording = Recording(
        sha256=sha256,
        size_bytes=size,
        original_filename=meta.original_filename,
        title=meta.title,
        notes=meta.notes,
        officer=officer,
        device=device,
        recorded_at=recorded_at,
        recorded_at_source=when_source,
        ingest_source=source,
        playable=info.playable,
        unplayable_reason=info.unplayable_reason,
        browser_playable=info.browser_playable,
        container=info.container,
        video_codec=info.video_codec,
        audio_codec=info.audio_codec,
        duration_s=info.duration_s,
        width=info.width,
        height=info.height,
        fps=info.fps,
        gps_lat=gps[0] if gps else None,
        gps_lon=gps[1] if gps else None,
        media_info=info.to_dict(),
        derivatives_status="pending" if info.playable else "unavailable",
    )
    session.add(recording)
    session.flush()
    return recording


def ingest_details(recording: Recording, source: str) -> dict[str, Any]:
    """The details of a recording's ``ingest`` custody event: the facts the audit replays
    the ``recordings`` row from (see :mod:`sunlight.evidence.projections`)."""
    return {
        "sha256": recording.sha256,
        "size": recording.size_bytes,
        "filename": recording.original_filename,
        "source": source,
        "officer": recording.officer.badge_number if recording.officer else None,
        "device": recording.device.serial if recording.device else None,
        "recorded_at": recording.recorded_at.isoformat() if recording.recorded_at else None,
        # Exact facts the audit replays the recordings table from (see evidence/replay.py).
        "officer_id": recording.officer_id,
        "device_id": recording.device_id,
        "recorded_at_source": recording.recorded_at_source,
        "title": recording.title,
        "notes": recording.notes,
    }


def _record_ingest(
    session: Session, recording: Recording, info: MediaInfo, *, actor: str, source: str
) -> None:
    record(
        session,
        actor=actor,
        action=Action.INGEST,
        object_type="recording",
        object_id=recording.id,
        details=ingest_details(recording, source),
    )
    if not info.playable:
        reason = f"unplayable: {info.unplayable_reason}"
        flag = RecordingFlag(
            recording=recording, kind="unplayable", reason=reason, created_by=actor
        )
        session.add(flag)
        session.flush()
        record(
            session,
            actor=actor,
            action=Action.FLAG,
            object_type="recording",
            object_id=recording.id,
            reason=reason,
            details={"kind": "unplayable", "flag_id": flag.id},
        )
    session.flush()


def _duplicate(
    session: Session, existing: Recording, meta: IngestMetadata, *, actor: str, source: str
) -> IngestResult:
    # Presenting the same bytes again is itself a custody fact worth keeping.
    record(
        session,
        actor=actor,
        action=Action.INGEST_DUPLICATE,
        object_type="recording",
        object_id=existing.id,
        details={"sha256": existing.sha256, "filename": meta.original_filename, "source": source},
    )
    return _result("duplicate", existing, filename=meta.original_filename)


def _result(
    status: Literal["ingested", "duplicate"], recording: Recording, filename: str | None = None
) -> IngestResult:
    reason = recording.unplayable_reason
    return IngestResult(
        status=status,
        recording_id=recording.id,
        sha256=recording.sha256,
        size=recording.size_bytes,
        filename=filename or recording.original_filename,
        flagged=not recording.playable,
        flag_reason=f"unplayable: {reason}" if reason else None,
    )

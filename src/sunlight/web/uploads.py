"""Resumable uploads (tus 1.0) wired to evidence ingest."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from fastapi import APIRouter, Depends

from sunlight.access import LOCAL_ADMINISTRATOR, Permission
from sunlight.evidence.ingest import (
    IngestError,
    IngestMetadata,
    check_filename,
    check_metadata,
    ingest_file,
    parse_timestamp,
)
from sunlight.runtime import Runtime
from sunlight.web.deps import require
from sunlight.web.tus import CompletedUpload, TusConfig, sweep_expired, tus_router

UPLOAD_METADATA_FIELDS = {
    "filename",
    "filetype",
    "officer",
    "device",
    "recorded_at",
    "title",
    "notes",
}


def metadata_of(raw: Mapping[str, str]) -> IngestMetadata:
    unknown = set(raw) - UPLOAD_METADATA_FIELDS
    if unknown:
        raise IngestError(f"unknown upload metadata {sorted(unknown)}")
    if "filename" not in raw:
        raise IngestError("upload metadata needs a filename")
    return IngestMetadata(
        original_filename=check_filename(raw["filename"]),
        officer_badge=raw.get("officer") or None,
        device_serial=raw.get("device") or None,
        recorded_at=parse_timestamp(raw["recorded_at"]) if raw.get("recorded_at") else None,
        title=raw.get("title") or None,
        notes=raw.get("notes") or None,
    )


def tus_config(runtime: Runtime) -> TusConfig:
    return TusConfig(
        staging_dir=runtime.settings.uploads_dir,
        max_size=runtime.settings.max_upload_bytes,
        expiry=timedelta(hours=runtime.settings.upload_expiry_hours),
    )


def sweep_uploads(runtime: Runtime) -> list[str]:
    """Delete unfinished uploads past their expiry (never acknowledged, so nothing is lost)."""
    return sweep_expired(tus_config(runtime))


def upload_router(runtime: Runtime) -> APIRouter:
    config = tus_config(runtime)

    def on_complete(upload: CompletedUpload) -> Mapping[str, str]:
        meta = metadata_of(upload.metadata)
        result = ingest_file(
            runtime,
            upload.path,
            meta,
            actor=LOCAL_ADMINISTRATOR.id,
            source="upload",
            known_sha256=upload.sha256,
            move=True,
        )
        return {
            "Sunlight-Recording-Id": str(result.recording_id),
            "Sunlight-SHA256": result.sha256,
            "Sunlight-Status": result.status,
        }

    def validate(raw: Mapping[str, str]) -> None:
        check_metadata(runtime, metadata_of(raw))

    return tus_router(
        config,
        on_complete,
        validate_metadata=validate,
        prefix="/api/uploads",
        dependencies=[Depends(require(Permission.RECORDING_UPLOAD))],
    )

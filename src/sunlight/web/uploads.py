"""Resumable uploads (tus 1.0) wired to evidence ingest.

Lifecycle of an upload's bytes: staged in ``uploads/`` as they arrive; once every byte is
in, ingest links (or copies) them into the object store and commits the recording; only
then are the staged bytes removed. A completion that fails (or a process that dies inside
it) leaves the staged bytes and their hash: the client's retried final PATCH finishes the
job, and so does ``finish_staged_uploads`` (run by ``sunlight reconcile`` and by serve's
schedule). Fully received uploads never expire.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from contextvars import ContextVar
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from sunlight.access import Permission, Principal
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
from sunlight.web.tus.service import Finished, finish_received

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
        reserve_bytes=runtime.settings.upload_reserve_bytes,
    )


def sweep_uploads(runtime: Runtime) -> list[str]:
    """Delete unfinished uploads past their expiry (never acknowledged, so nothing is lost).

    Fully received uploads are kept (see the module docstring)."""
    return sweep_expired(tus_config(runtime))


#: The principal of the tus request being served (a signed-in user or a dock's token): set
#: by the upload routes' guard, read by ``on_complete`` in the same request.
_UPLOADER: ContextVar[Principal | None] = ContextVar("sunlight_uploader", default=None)
#: Who finishes an upload whose completion was cut off (``sunlight reconcile``, schedule).
RECONCILER = Principal.system("uploads")


def upload_guard() -> Callable[..., Coroutine[Any, Any, Principal]]:
    """recording:upload for every tus route; remembers the principal for ``on_complete``.

    Async, so the context variable is set in the request's own context (a sync dependency
    runs in a copied one) and reaches ``on_complete`` through ``run_in_threadpool``."""

    async def dependency(
        principal: Annotated[Principal, Depends(require(Permission.RECORDING_UPLOAD))],
    ) -> Principal:
        _UPLOADER.set(principal)
        return principal

    dependency.__name__ = "upload_guard"
    dependency.permission = Permission.RECORDING_UPLOAD  # type: ignore[attr-defined]
    return dependency


def ingest_upload(
    runtime: Runtime, upload: CompletedUpload, *, actor: str | None = None
) -> Mapping[str, str]:
    """on_complete: ingest the staged file, leaving it in place (the tus layer removes it
    once the result is saved), and answer with the recording's id, hash and status.

    The recording's uploader (its ingest custody event's actor) is the request's principal
    (``user:N`` or ``token:N``), or ``actor`` when finishing outside a request."""
    meta = metadata_of(upload.metadata)
    uploader = _UPLOADER.get()
    result = ingest_file(
        runtime,
        upload.path,
        meta,
        actor=actor or (uploader.id if uploader is not None else RECONCILER.id),
        source="upload",
        known_sha256=upload.sha256,
        link=True,
    )
    return {
        "Sunlight-Recording-Id": str(result.recording_id),
        "Sunlight-SHA256": result.sha256,
        "Sunlight-Status": result.status,
    }


def finish_staged_uploads(
    runtime: Runtime, *, idle_for: timedelta = timedelta(0)
) -> list[Finished]:
    """Record every fully received upload whose completion failed or was cut off."""
    return finish_received(
        tus_config(runtime),
        lambda upload: ingest_upload(runtime, upload, actor=RECONCILER.id),
        older_than_s=idle_for.total_seconds(),
    )


def upload_router(runtime: Runtime) -> APIRouter:
    config = tus_config(runtime)

    def on_complete(upload: CompletedUpload) -> Mapping[str, str]:
        return ingest_upload(runtime, upload)

    def validate(raw: Mapping[str, str]) -> None:
        check_metadata(runtime, metadata_of(raw))

    return tus_router(
        config,
        on_complete,
        validate_metadata=validate,
        prefix="/api/uploads",
        dependencies=[Depends(upload_guard())],
    )

"""The tus endpoints as a FastAPI router, and how their responses are built."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from email.utils import formatdate
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from sunlight.web.tus.config import CompletedUpload, TusConfig
from sunlight.web.tus.protocol import (
    CHECKSUM_ALGORITHMS,
    OFFSET_CONTENT_TYPE,
    TUS_EXTENSIONS,
    TUS_VERSION,
    TusError,
    check_upload_id,
    is_offset_stream,
    parse_checksum,
    parse_metadata,
    parse_uint,
    require_tus_resumable,
)
from sunlight.web.tus.service import TusService
from sunlight.web.tus.state import (
    UploadInfo,
    read_info,
    remove_upload_files,
    upload_lock,
    write_info,
)

log = logging.getLogger(__name__)

# Browsers only let scripts read response headers listed here (for cross-origin calls);
# completion headers from on_complete are appended per response.
_EXPOSED_HEADERS = (
    "Location",
    "Upload-Offset",
    "Upload-Length",
    "Upload-Defer-Length",
    "Upload-Metadata",
    "Upload-Expires",
    "Tus-Resumable",
    "Tus-Version",
    "Tus-Extension",
    "Tus-Max-Size",
    "Tus-Checksum-Algorithm",
)


def _expose(extra: Mapping[str, str]) -> str:
    return ", ".join((*_EXPOSED_HEADERS, *extra.keys()))


def _response(
    status: int,
    headers: Mapping[str, str] | None = None,
    *,
    body: str = "",
    result: Mapping[str, str] | None = None,
) -> Response:
    merged: dict[str, str] = {
        "Tus-Resumable": TUS_VERSION,
        "Cache-Control": "no-store",
        "Access-Control-Expose-Headers": _expose(result or {}),
    }
    merged.update(headers or {})
    merged.update(result or {})
    if status in (204, 304) or status < 200:
        return Response(status_code=status, headers=merged)
    return Response(
        content=body, status_code=status, headers=merged, media_type="text/plain; charset=utf-8"
    )


def _error(exc: TusError, *, head: bool = False) -> Response:
    # HEAD responses must not carry a body; the status says it all.
    return _response(exc.status, exc.headers, body="" if head else exc.message + "\n")


def _check_body_fits(config: TusConfig, info: UploadInfo, content_length: int | None) -> None:
    # Refuse before reading a byte when Content-Length already says the body is too big.
    if content_length is None:
        return
    if info.length is not None and info.offset + content_length > info.length:
        raise TusError(
            400,
            f"body of {content_length} bytes at offset {info.offset} runs past "
            f"Upload-Length {info.length}",
            {"Upload-Offset": str(info.offset)},
        )
    if info.length is None and info.offset + content_length > config.max_size:
        raise TusError(413, f"upload would exceed Tus-Max-Size {config.max_size}")


def _state_headers(info: UploadInfo) -> dict[str, str]:
    headers = {
        "Upload-Offset": str(info.offset),
        "Upload-Expires": formatdate(info.expires, usegmt=True),
    }
    if info.length is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(info.length)
    return headers


def tus_router(
    config: TusConfig,
    on_complete: Callable[[CompletedUpload], Mapping[str, str]],
    *,
    prefix: str = "/uploads",
    dependencies: Sequence[Any] = (),
    validate_metadata: Callable[[Mapping[str, str]], None] | None = None,
) -> APIRouter:
    """Build the tus endpoints: ``{prefix}`` (OPTIONS, POST) and ``{prefix}/{id}``.

    ``on_complete`` runs in a worker thread once every byte is in, before the final response;
    the mapping it returns is sent back as extra response headers (and on later HEADs). It
    may be called again for the same upload if it raised, or if saving its result failed,
    so it must be idempotent (content-addressed storage is). ``dependencies`` are FastAPI
    dependencies (authentication) applied to every route. ``validate_metadata`` checks the
    decoded Upload-Metadata at creation, so bad metadata is refused (400, with the
    ValueError's message) before any byte is sent.
    """
    config.staging_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    service = TusService(config, on_complete)
    router = APIRouter(prefix=prefix, dependencies=list(dependencies))

    options_headers = {
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": ",".join(TUS_EXTENSIONS),
        "Tus-Max-Size": str(config.max_size),
        "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
    }

    async def options() -> Response:
        return _response(204, options_headers)

    router.add_api_route("", options, methods=["OPTIONS"], include_in_schema=False)
    router.add_api_route("/{upload_id}", options, methods=["OPTIONS"], include_in_schema=False)

    @router.post("", include_in_schema=False)
    async def create_upload(request: Request) -> Response:
        try:
            require_tus_resumable(request)
            if "Upload-Concat" in request.headers:
                raise TusError(400, "the concatenation extension is not supported")
            length = parse_uint(request, "Upload-Length")
            defer = request.headers.get("Upload-Defer-Length")
            if length is None and defer is None:
                raise TusError(400, "send Upload-Length, or Upload-Defer-Length: 1")
            if length is not None and defer is not None:
                raise TusError(400, "send either Upload-Length or Upload-Defer-Length, not both")
            if defer is not None and defer.strip() != "1":
                raise TusError(400, "Upload-Defer-Length must be 1")
            if length is not None and length > config.max_size:
                raise TusError(413, f"Upload-Length exceeds Tus-Max-Size {config.max_size}")
            metadata_raw = request.headers.get("Upload-Metadata", "")
            metadata = parse_metadata(metadata_raw)
            if validate_metadata is not None:
                try:
                    await run_in_threadpool(validate_metadata, metadata)
                except ValueError as exc:
                    raise TusError(400, f"invalid upload metadata: {exc}") from exc
            content_length = parse_uint(request, "Content-Length")
            chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
            with_body = bool(content_length) or chunked
            checksum = None
            if with_body:
                # creation-with-upload: same rules as a PATCH at offset 0.
                if not is_offset_stream(request):
                    raise TusError(415, f"an upload body needs Content-Type: {OFFSET_CONTENT_TYPE}")
                checksum = parse_checksum(request)
                limit = length if length is not None else config.max_size
                if content_length is not None and content_length > limit:
                    raise TusError(
                        400 if length is not None else 413, "body is larger than the upload"
                    )
            await service.maybe_sweep()
            info = await run_in_threadpool(service.create, length, metadata_raw, metadata)
        except TusError as exc:
            return _error(exc)

        location = f"{request.url.path.rstrip('/')}/{info.upload_id}"
        result: dict[str, str] = {}
        try:
            with upload_lock(config, info.upload_id):
                if with_body:
                    try:
                        info, interrupted = await service.receive_chunk(request, info, checksum)
                        if interrupted is not None:
                            raise TusError(408, f"the request body {interrupted}")
                    except TusError as exc:
                        if exc.status >= 500:
                            raise
                        # The upload exists regardless; the client learns from Upload-Offset
                        # how much was accepted and continues with PATCH.
                        log.info("tus upload %s: initial chunk refused: %s", info.upload_id, exc)
                if info.length is not None and info.offset == info.length:
                    result = await service.complete(info)
        except TusError as exc:
            exc.headers["Location"] = location
            return _error(exc)
        return _response(201, {"Location": location, **_state_headers(info)}, result=result)

    @router.head("/{upload_id}", include_in_schema=False)
    async def upload_status(request: Request, upload_id: str) -> Response:
        try:
            require_tus_resumable(request)
            check_upload_id(upload_id)
            info = await run_in_threadpool(service.load_live, upload_id)
        except TusError as exc:
            return _error(exc, head=True)
        headers = _state_headers(info)
        if info.metadata_raw:
            headers["Upload-Metadata"] = info.metadata_raw
        return _response(200, headers, result=info.result)

    @router.patch("/{upload_id}", include_in_schema=False)
    async def append(request: Request, upload_id: str) -> Response:
        try:
            require_tus_resumable(request)
            check_upload_id(upload_id)
            if not is_offset_stream(request):
                raise TusError(415, f"PATCH needs Content-Type: {OFFSET_CONTENT_TYPE}")
            offset = parse_uint(request, "Upload-Offset")
            if offset is None:
                raise TusError(400, "Upload-Offset is required")
            new_length = parse_uint(request, "Upload-Length")
            content_length = parse_uint(request, "Content-Length")
            checksum = parse_checksum(request)
            with upload_lock(config, upload_id):
                info = await run_in_threadpool(service.load_live, upload_id)
                if offset != info.offset:
                    raise TusError(
                        409,
                        f"Upload-Offset {offset} does not match the server's {info.offset}; "
                        "HEAD the upload and resume from its offset",
                        {"Upload-Offset": str(info.offset)},
                    )
                length_set = False
                if new_length is not None and new_length != info.length:
                    if info.length is not None:
                        raise TusError(400, "Upload-Length is already set and cannot change")
                    if new_length > config.max_size:
                        raise TusError(413, f"Upload-Length exceeds Tus-Max-Size {config.max_size}")
                    if new_length < info.offset:
                        raise TusError(400, "Upload-Length is smaller than the bytes received")
                    await run_in_threadpool(service.set_length, info, new_length)
                    # Saved together with the chunk, so a refused chunk leaves it unset.
                    info.length = new_length
                    length_set = True
                _check_body_fits(config, info, content_length)
                if info.completed:
                    # Only the empty "finish" PATCH reaches here (a body would not fit);
                    # answer it again so a client that lost the first reply gets the result.
                    pass
                elif content_length == 0 or info.received:
                    # A received upload takes no more bytes (its staged file may already be
                    # linked into the store, read-only): this is a retried completion.
                    if length_set:
                        await run_in_threadpool(write_info, config, info)
                else:
                    info, interrupted = await service.receive_chunk(
                        request, info, checksum, commit_info=length_set
                    )
                    if interrupted is not None:
                        raise TusError(
                            408 if interrupted == "timed out" else 400,
                            f"the request body {interrupted}; kept {info.offset} bytes",
                            {"Upload-Offset": str(info.offset)},
                        )
                result: dict[str, str] = {}
                if info.length is not None and info.offset == info.length:
                    result = await service.complete(info)
        except TusError as exc:
            return _error(exc)
        return _response(204, _state_headers(info), result=result)

    @router.delete("/{upload_id}", include_in_schema=False)
    async def terminate(request: Request, upload_id: str) -> Response:
        try:
            require_tus_resumable(request)
            check_upload_id(upload_id)
            with upload_lock(config, upload_id):
                if await run_in_threadpool(read_info, config, upload_id) is None:
                    raise TusError(404, "upload not found")
                await run_in_threadpool(remove_upload_files, config, upload_id)
            service.hashes.drop(upload_id)
        except TusError as exc:
            return _error(exc)
        return _response(204)

    return router

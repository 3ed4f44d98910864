"""Receiving upload bytes: writing and hashing chunks, and the upload service itself."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import anyio
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sunlight.db import DatabaseBusy
from sunlight.web.tus.config import CompletedUpload, OnComplete, TusConfig
from sunlight.web.tus.protocol import (
    HTTP_CHECKSUM_MISMATCH,
    Checksum,
    Digest,
    TusError,
    check_result_headers,
    new_digest,
)
from sunlight.web.tus.state import (
    UploadInfo,
    data_path,
    lock_path,
    read_info,
    sweep_expired,
    write_info,
)

log = logging.getLogger(__name__)

_SWEEP_INTERVAL_S = 60.0
_MAX_RUNNING_HASHES = 4096


# ------------------------------------------------------------------------- byte handling


def _open_at_offset(path: Path, offset: int) -> int:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise TusError(500, "staged bytes are missing; start a new upload") from None
    try:
        size = os.fstat(fd).st_size
        if size < offset:
            raise TusError(500, "staged bytes are missing; start a new upload")
        if size > offset:
            # Left over from a request that wrote but never committed (crash, rejected chunk).
            os.ftruncate(fd, offset)
        os.lseek(fd, offset, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _write_and_hash(fd: int, pieces: Sequence[bytes], digests: Sequence[Digest]) -> None:
    # Pieces are written one by one rather than joined: joining megabytes costs a copy (and
    # page faults) for nothing. Hashing only after the write keeps the running hash equal
    # to the bytes actually in the file.
    for piece in pieces:
        view = memoryview(piece)
        while view:
            view = view[os.write(fd, view) :]
    for piece in pieces:
        for digest in digests:
            digest.update(piece)


def _discard_from(fd: int, offset: int) -> None:
    os.ftruncate(fd, offset)
    os.fsync(fd)


def _hash_file(path: Path, chunk_size: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


class RunningHashes:
    """SHA-256 state per upload for bytes that arrived in order in this process.

    Entries are only trusted when their offset matches the committed offset, so a stale one
    (another worker advanced the upload) is simply ignored. Bounded so abandoned uploads
    cannot grow memory; an evicted upload is re-hashed from disk at completion instead.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, Digest]] = OrderedDict()

    def take(self, upload_id: str, offset: int) -> Digest | None:
        entry = self._entries.pop(upload_id, None)
        if offset == 0:
            return new_digest("sha256")
        if entry is not None and entry[0] == offset:
            return entry[1]
        return None

    def put(self, upload_id: str, offset: int, digest: Digest) -> None:
        self._entries[upload_id] = (offset, digest)
        self._entries.move_to_end(upload_id)
        while len(self._entries) > _MAX_RUNNING_HASHES:
            self._entries.popitem(last=False)

    def drop(self, upload_id: str) -> None:
        self._entries.pop(upload_id, None)


# ------------------------------------------------------------------------------- service


class TusService:
    """Creates uploads, stores their chunks and completes them; one per router."""

    def __init__(self, config: TusConfig, on_complete: OnComplete) -> None:
        self.config = config
        self.on_complete = on_complete
        self.hashes = RunningHashes()
        self.last_sweep = 0.0

    def load_live(self, upload_id: str) -> UploadInfo:
        # Runs in a worker thread, so it leaves the (event-loop owned) running hashes alone.
        info = read_info(self.config, upload_id)
        if info is None:
            raise TusError(404, "upload not found")
        if info.expired(time.time()):
            raise TusError(410, "upload expired; start a new upload")
        return info

    async def maybe_sweep(self) -> None:
        now = time.time()
        if now - self.last_sweep < _SWEEP_INTERVAL_S:
            return
        self.last_sweep = now
        try:
            removed = await run_in_threadpool(sweep_expired, self.config, now=now)
        except OSError as exc:
            log.warning("tus sweep failed: %s", exc)
            return
        for upload_id in removed:
            self.hashes.drop(upload_id)

    def create(self, length: int | None, metadata_raw: str, metadata: dict[str, str]) -> UploadInfo:
        config = self.config
        upload_id = secrets.token_hex(16)
        now = time.time()
        info = UploadInfo(
            upload_id=upload_id,
            length=length,
            offset=0,
            metadata_raw=metadata_raw,
            metadata=metadata,
            created=now,
            expires=now + config.expiry.total_seconds(),
        )
        # Lock and data files first, info last: the info file is what makes the upload exist.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        os.close(os.open(lock_path(config, upload_id), flags, 0o600))
        fd = os.open(data_path(config, upload_id), flags, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        write_info(config, info)
        return info

    async def receive_chunk(
        self,
        request: Request,
        info: UploadInfo,
        checksum: Checksum | None,
        *,
        commit_info: bool = False,
    ) -> tuple[UploadInfo, str | None]:
        """Append the request body at ``info.offset`` and commit the new offset.

        Must be called with the upload lock held. Returns the committed info and, when the
        body ended early, why ("disconnected" or "timed out"). With a checksum the chunk is
        all-or-nothing; without one, whatever arrived before the interruption is kept so the
        client resumes from there. ``commit_info`` saves the info even if no byte arrived
        (a deferred Upload-Length sent with this chunk).
        """
        config = self.config
        old = info.offset
        limit = info.length if info.length is not None else config.max_size
        running = self.hashes.take(info.upload_id, old)
        # Work on a copy so a rejected chunk leaves the running state at the old offset.
        chunk_running = running.copy() if running is not None else None
        checker = new_digest(checksum.algorithm) if checksum is not None else None
        digests = [d for d in (chunk_running, checker) if d is not None]

        fd = await run_in_threadpool(_open_at_offset, data_path(config, info.upload_id), old)
        written = 0
        try:
            pending: list[bytes] = []
            pending_len = 0
            interrupted: str | None = None
            overflow = False
            stream = request.stream()
            try:
                while True:
                    with anyio.move_on_after(config.read_timeout) as idle:
                        piece = await anext(stream)
                    if idle.cancelled_caught:
                        interrupted = "timed out"
                        break
                    if old + written + pending_len + len(piece) > limit:
                        overflow = True  # nothing past the limit is ever written
                        break
                    pending.append(piece)
                    pending_len += len(piece)
                    if pending_len >= config.chunk_size:
                        batch, batch_len = pending, pending_len
                        pending, pending_len = [], 0
                        await run_in_threadpool(_write_and_hash, fd, batch, digests)
                        written += batch_len
            except StopAsyncIteration:
                pass
            except ClientDisconnect:
                interrupted = "disconnected"
            finally:
                await stream.aclose()
            if pending and not overflow:
                await run_in_threadpool(_write_and_hash, fd, pending, digests)
                written += pending_len

            reject: TusError | None = None
            if overflow:
                if info.length is None:
                    reject = TusError(413, f"upload would exceed Tus-Max-Size {config.max_size}")
                else:
                    reject = TusError(400, f"body runs past Upload-Length {info.length}")
            elif checker is not None and checksum is not None:
                if interrupted is not None:
                    reject = TusError(
                        408 if interrupted == "timed out" else 400,
                        f"the chunk {interrupted} before it was complete; a checksummed chunk "
                        "is all-or-nothing, so it was discarded",
                    )
                elif checker.digest() != checksum.digest:
                    reject = TusError(
                        HTTP_CHECKSUM_MISMATCH,
                        f"Checksum Mismatch: the {checksum.algorithm} of this chunk does not "
                        "match Upload-Checksum; the chunk was discarded, resend it",
                    )
            if reject is not None:
                await run_in_threadpool(_discard_from, fd, old)
                if running is not None:
                    self.hashes.put(info.upload_id, old, running)
                reject.headers["Upload-Offset"] = str(old)
                raise reject
            if written:
                await run_in_threadpool(os.fsync, fd)
        except OSError as exc:
            log.error("tus upload %s: storing a chunk failed: %s", info.upload_id, exc)
            with contextlib.suppress(OSError):
                await run_in_threadpool(_discard_from, fd, old)
            raise TusError(
                507 if exc.errno == errno.ENOSPC else 500,
                "the server could not store this chunk; retry later",
                {"Upload-Offset": str(old)},
            ) from exc
        finally:
            os.close(fd)

        # Only now, with the bytes on disk, may the recorded offset move past them.
        if written or commit_info:
            info.offset = old + written
            info.expires = time.time() + config.expiry.total_seconds()
            await run_in_threadpool(write_info, config, info)
        if chunk_running is not None:
            self.hashes.put(info.upload_id, info.offset, chunk_running)
        return info, interrupted

    async def complete(self, info: UploadInfo) -> dict[str, str]:
        """Hand the finished file to on_complete; must be called with the upload lock held."""
        if info.completed:
            return info.result
        config = self.config
        path = data_path(config, info.upload_id)
        if info.length is None or info.offset != info.length:
            raise TusError(500, "upload is not complete")
        try:
            intact = path.stat().st_size == info.length
        except FileNotFoundError:
            intact = False
        if not intact:
            # on_complete moved the file away and then failed: nothing left to hand over.
            raise TusError(500, "staged bytes are missing; start a new upload")
        if info.sha256 is None:
            running = self.hashes.take(info.upload_id, info.offset)
            if running is not None:
                info.sha256 = running.hexdigest()
            else:  # no in-order history in this process (restart, other worker, eviction)
                info.sha256 = await run_in_threadpool(_hash_file, path, config.chunk_size)
            await run_in_threadpool(write_info, config, info)
        self.hashes.drop(info.upload_id)
        completed = CompletedUpload(
            upload_id=info.upload_id,
            path=path,
            size=info.length,
            sha256=info.sha256,
            metadata=dict(info.metadata),
        )
        try:
            result = check_result_headers(await run_in_threadpool(self.on_complete, completed))
        except DatabaseBusy as exc:  # nothing was committed: a retry may succeed
            raise TusError(
                503,
                f"all {info.length} bytes arrived but the database is busy; retry with an "
                f"empty PATCH at Upload-Offset {info.length}",
                {"Upload-Offset": str(info.offset), "Retry-After": str(exc.retry_after_s)},
            ) from exc
        except Exception as exc:
            log.exception("tus upload %s: on_complete failed", info.upload_id)
            raise TusError(
                500,
                f"all {info.length} bytes arrived (sha256 {info.sha256}) but processing them "
                f"failed ({type(exc).__name__}); the upload is kept: retry with an empty PATCH "
                f"at Upload-Offset {info.length}",
                {"Upload-Offset": str(info.offset)},
            ) from exc
        info.completed = True
        info.result = result
        info.expires = time.time() + config.expiry.total_seconds()
        await run_in_threadpool(write_info, config, info)
        # on_complete may have moved the file into storage already.
        await run_in_threadpool(path.unlink, True)
        return result

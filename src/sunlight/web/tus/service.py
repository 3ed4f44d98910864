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
from dataclasses import dataclass
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
    creation_lock,
    data_path,
    iter_infos,
    lock_path,
    read_info,
    sweep_expired,
    upload_lock,
    write_info,
)

log = logging.getLogger(__name__)

_SWEEP_INTERVAL_S = 60.0
_MAX_RUNNING_HASHES = 4096


# ------------------------------------------------------------------------- disk space


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer may still use on the filesystem holding ``folder``."""
    stats = os.statvfs(folder)
    return stats.f_bavail * stats.f_frsize


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


def check_room(config: TusConfig, length: int, *, exclude: str | None = None) -> None:
    """Refuse (507) a declared length that would not fit on the staging disk, counting the
    bytes other unfinished uploads have declared but not sent yet and the safety margin."""
    promised = sum(info.remaining for info in iter_infos(config) if info.upload_id != exclude)
    free = free_bytes(config.staging_dir)
    if length + promised + config.reserve_bytes > free:
        raise TusError(
            507,
            f"not enough space for {length} bytes: {_gib(free)} free on the upload disk, "
            f"{_gib(promised)} promised to other uploads in progress and "
            f"{_gib(config.reserve_bytes)} kept in reserve; retry later",
            {"Retry-After": "300"},
        )


def room_for_chunk(config: TusConfig, size: int) -> bool:
    # Deferred-length uploads reserved nothing: check the disk as their bytes arrive.
    return size + config.reserve_bytes <= free_bytes(config.staging_dir)


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
        # The space check and the info write happen under one lock, so two creations
        # cannot both count the same free bytes.
        with creation_lock(config):
            if length is not None:
                check_room(config, length)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
            os.close(os.open(lock_path(config, upload_id), flags, 0o600))
            fd = os.open(data_path(config, upload_id), flags, 0o600)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            write_info(config, info)
        return info

    def set_length(self, info: UploadInfo, length: int) -> None:
        """Check a deferred upload's newly declared length against the disk (507)."""
        with creation_lock(self.config):
            check_room(self.config, length - info.offset, exclude=info.upload_id)

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
        deferred = info.length is None
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
            disk_full = False
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
                        if deferred and not await run_in_threadpool(
                            room_for_chunk, config, batch_len
                        ):
                            disk_full = True
                            break
                        await run_in_threadpool(_write_and_hash, fd, batch, digests)
                        written += batch_len
            except StopAsyncIteration:
                pass
            except ClientDisconnect:
                interrupted = "disconnected"
            finally:
                await stream.aclose()
            if pending and not overflow and not disk_full:
                if deferred and not await run_in_threadpool(room_for_chunk, config, pending_len):
                    disk_full = True
                else:
                    await run_in_threadpool(_write_and_hash, fd, pending, digests)
                    written += pending_len

            reject: TusError | None = None
            if disk_full:
                reject = TusError(
                    507,
                    "the upload disk is nearly full; this chunk was discarded, retry later",
                    {"Retry-After": "300"},
                )
            elif overflow:
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
            # Only an on_complete that moves the file away and then fails gets here; the
            # evidence ingest links it instead, so its staged bytes stay until the commit.
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


# ------------------------------------------------------------------ finishing, offline


@dataclass(frozen=True)
class Finished:
    """What ``finish_received`` did with one fully received upload."""

    upload_id: str
    sha256: str
    size: int
    result: dict[str, str] | None  # on_complete's headers, or None when it failed
    error: str | None = None


def finish_received(
    config: TusConfig, on_complete: OnComplete, *, older_than_s: float = 0.0
) -> list[Finished]:
    """Complete uploads whose every byte arrived but whose completion never succeeded
    (on_complete failed, or the process died inside it), idle for ``older_than_s``.

    Runs ``on_complete`` as the final PATCH would (it is idempotent), saves the result so
    the client's next HEAD gets it, and only then removes the staged bytes. Uploads busy
    with a request are skipped. One upload at a time: memory does not grow with the folder.
    """
    now = time.time()
    expiry = config.expiry.total_seconds()
    done: list[Finished] = []
    for seen in iter_infos(config):
        if not seen.received or seen.length is None:
            continue
        if now - (seen.expires - expiry) < older_than_s:  # expires = last progress + expiry
            continue  # progress too recent: the client may still be finishing it
        try:
            with upload_lock(config, seen.upload_id):
                info = read_info(config, seen.upload_id)
                if info is None or not info.received or info.length is None:
                    continue
                done.append(_finish_one(config, on_complete, info, info.length))
        except TusError as exc:
            if exc.status != 423 and exc.status != 404:
                log.warning("tus upload %s: cannot finish: %s", seen.upload_id, exc.message)
    return done


def _finish_one(
    config: TusConfig, on_complete: OnComplete, info: UploadInfo, length: int
) -> Finished:
    path = data_path(config, info.upload_id)
    if info.sha256 is None:
        info.sha256 = _hash_file(path, config.chunk_size)
        write_info(config, info)
    completed = CompletedUpload(
        upload_id=info.upload_id,
        path=path,
        size=length,
        sha256=info.sha256,
        metadata=dict(info.metadata),
    )
    try:
        result = check_result_headers(on_complete(completed))
    except Exception as exc:
        log.exception("tus upload %s: finishing it failed", info.upload_id)
        return Finished(info.upload_id, info.sha256, length, None, f"{type(exc).__name__}: {exc}")
    info.completed = True
    info.result = result
    info.expires = time.time() + config.expiry.total_seconds()
    write_info(config, info)
    path.unlink(missing_ok=True)
    return Finished(info.upload_id, info.sha256, length, result)

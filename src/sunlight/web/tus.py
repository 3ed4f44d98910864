"""tus 1.0.0 resumable uploads for evidence ingest, as a FastAPI router.

Body-camera files are large and officers upload them over poor links, so uploads must
survive dropped connections, server restarts and flaky proxies without ever accepting a
corrupted byte. This is our own implementation of https://tus.io/protocols/resumable-upload
(core protocol plus the creation, creation-defer-length, creation-with-upload, checksum,
termination and expiration extensions).

Every upload lives in ``TusConfig.staging_dir`` as three files named by a random hex id:

* ``<id>.bin``  - the bytes received so far;
* ``<id>.json`` - the committed state (offset, length, metadata, expiry, completion result),
  always replaced atomically, so a reader sees the old or the new state, never half of one;
* ``<id>.lock`` - the target of ``fcntl.flock`` so that two requests (in this process or in
  another worker process) never write the same upload at once.

Durability rule: bytes are fsynced to ``<id>.bin`` *before* the offset in ``<id>.json`` moves
past them, so a crash can leave surplus bytes past the recorded offset (cut off on the next
PATCH) but never a recorded offset without its bytes.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any, Protocol

import anyio
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

__all__ = [
    "CHECKSUM_ALGORITHMS",
    "TUS_EXTENSIONS",
    "TUS_VERSION",
    "CompletedUpload",
    "TusConfig",
    "sweep_expired",
    "tus_router",
]

log = logging.getLogger(__name__)

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = (
    "creation",
    "creation-defer-length",
    "creation-with-upload",
    "termination",
    "checksum",
    "expiration",
)
CHECKSUM_ALGORITHMS = ("sha256", "sha1", "md5")
OFFSET_CONTENT_TYPE = "application/offset+octet-stream"
MAX_METADATA_BYTES = 16 * 1024
HTTP_CHECKSUM_MISMATCH = 460  # tus checksum extension; not a registered HTTP status

_ID_RE = re.compile(r"[0-9a-f]{32}")
# Upper bound on digits keeps int() cheap and values inside a signed 64-bit off_t.
_UINT_RE = re.compile(r"[0-9]{1,18}")
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SWEEP_INTERVAL_S = 60.0
_MAX_RUNNING_HASHES = 4096

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
# on_complete may not return headers that would change the meaning of the tus exchange.
_RESERVED_HEADER_PREFIXES = ("tus-", "upload-", "content-", "access-control-")
_RESERVED_HEADERS = frozenset(
    {"location", "cache-control", "connection", "transfer-encoding", "set-cookie", "retry-after"}
)


@dataclass(frozen=True)
class TusConfig:
    staging_dir: Path  # where partial uploads live (one data, info and lock file per upload)
    max_size: int  # advertised as Tus-Max-Size; larger uploads are refused with 413
    expiry: timedelta  # an unfinished upload expires this long after its last progress
    chunk_size: int = 4 * 1024 * 1024  # bytes gathered from the request before each write
    # A client that stops sending mid-body without closing the socket would hold the upload
    # lock until TCP gives up (hours); after this many idle seconds the chunk is ended as if
    # the client had disconnected (the tus spec suggests about 30 s).
    read_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_size < 0:
            raise ValueError("max_size must not be negative")
        if self.chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        if self.expiry <= timedelta(0):
            raise ValueError("expiry must be positive")
        if self.read_timeout <= 0:
            raise ValueError("read_timeout must be positive")


@dataclass(frozen=True)
class CompletedUpload:
    upload_id: str
    path: Path  # the staging file holding every byte, fsynced; on_complete may move it
    size: int
    sha256: str  # lowercase hex
    metadata: dict[str, str]  # decoded Upload-Metadata


OnComplete = Callable[[CompletedUpload], Mapping[str, str]]


class _Digest(Protocol):
    @property
    def digest_size(self) -> int: ...
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> _Digest: ...


class TusError(Exception):
    """A request the server refuses; becomes a plain-text response with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


# --------------------------------------------------------------------------- state on disk


@dataclass
class _Info:
    upload_id: str
    length: int | None  # None while the length is deferred
    offset: int
    metadata_raw: str
    metadata: dict[str, str]
    created: float
    expires: float
    sha256: str | None = None  # saved once every byte is in, so retries skip re-hashing
    completed: bool = False
    result: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(
            {
                "version": 1,
                "upload_id": self.upload_id,
                "length": self.length,
                "offset": self.offset,
                "metadata_raw": self.metadata_raw,
                "metadata": self.metadata,
                "created": self.created,
                "expires": self.expires,
                "sha256": self.sha256,
                "completed": self.completed,
                "result": self.result,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> _Info:
        data = json.loads(raw)
        if not isinstance(data, dict) or data.get("version") != 1:
            raise ValueError("unknown upload info format")
        length = data["length"]
        sha = data["sha256"]
        return cls(
            upload_id=str(data["upload_id"]),
            length=None if length is None else int(length),
            offset=int(data["offset"]),
            metadata_raw=str(data["metadata_raw"]),
            metadata={str(k): str(v) for k, v in dict(data["metadata"]).items()},
            created=float(data["created"]),
            expires=float(data["expires"]),
            sha256=None if sha is None else str(sha),
            completed=bool(data["completed"]),
            result={str(k): str(v) for k, v in dict(data["result"]).items()},
        )

    def expired(self, now: float) -> bool:
        return now >= self.expires


def _data_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.bin"


def _info_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.json"


def _lock_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.lock"


def _fsync_dir(path: Path) -> None:
    # A rename or unlink is only durable once the directory entry itself is flushed.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_info(config: TusConfig, info: _Info) -> None:
    final = _info_path(config, info.upload_id)
    tmp = final.with_name(f"{final.name}.tmp-{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        payload = info.to_json()
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    os.replace(tmp, final)
    _fsync_dir(config.staging_dir)


def _read_info(config: TusConfig, upload_id: str) -> _Info | None:
    try:
        raw = _info_path(config, upload_id).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return _Info.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        log.error("tus upload %s has an unreadable info file: %s", upload_id, exc)
        raise TusError(500, "upload state is unreadable; start a new upload") from exc


def _remove_upload_files(config: TusConfig, upload_id: str) -> None:
    # The info file goes first: its absence is what makes the upload unknown to readers.
    for path in (
        _info_path(config, upload_id),
        _data_path(config, upload_id),
        _lock_path(config, upload_id),
    ):
        path.unlink(missing_ok=True)
    _fsync_dir(config.staging_dir)


@contextlib.contextmanager
def _upload_lock(config: TusConfig, upload_id: str) -> Iterator[None]:
    """Hold the upload's flock, failing fast with 423 rather than queueing writers.

    flock locks belong to the open file description, so they exclude other requests in this
    process as well as other worker processes. The lock file is never created here: it is
    made with the upload, so a missing one means the upload is gone.
    """
    try:
        fd = os.open(_lock_path(config, upload_id), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        raise TusError(404, "upload not found") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TusError(
                423,
                "another request is writing this upload; retry when it has finished",
                {"Retry-After": "1"},
            ) from None
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


def sweep_expired(config: TusConfig, *, now: float | None = None) -> list[str]:
    """Remove expired uploads (finished or not) and debris from crashed requests.

    Uploads busy with a request are skipped and caught by a later sweep. Returns the ids of
    the uploads removed. Call it periodically (the router also runs it now and then on POST).
    """
    now = time.time() if now is None else now
    grace = config.expiry.total_seconds()
    removed: list[str] = []
    try:
        entries = list(os.scandir(config.staging_dir))
    except FileNotFoundError:
        return removed
    for entry in entries:
        name = entry.name
        upload_id, _, suffix = name.partition(".")
        if not _ID_RE.fullmatch(upload_id):
            continue
        if suffix == "json":
            try:
                with _upload_lock(config, upload_id):
                    info = _read_info(config, upload_id)
                    if info is not None and info.expired(now):
                        _remove_upload_files(config, upload_id)
                        removed.append(upload_id)
            except TusError as exc:
                if exc.status != 423:  # unreadable state or lost lock file: go by file age
                    _remove_if_stale(config, upload_id, entry, now, grace, removed)
            except OSError as exc:
                log.warning("tus sweep could not check upload %s: %s", upload_id, exc)
        elif suffix.startswith("json.tmp-") or not _info_path(config, upload_id).exists():
            # An info write or a creation cut short by a crash.
            _remove_if_stale(config, upload_id, entry, now, grace, removed)
    return removed


def _remove_if_stale(
    config: TusConfig,
    upload_id: str,
    entry: os.DirEntry[str],
    now: float,
    grace: float,
    removed: list[str],
) -> None:
    try:
        if entry.stat().st_mtime + grace > now:
            return
        Path(entry.path).unlink(missing_ok=True)
        if entry.name.endswith(".json") and upload_id not in removed:
            _remove_upload_files(config, upload_id)
            removed.append(upload_id)
    except OSError as exc:
        log.warning("tus sweep could not remove %s: %s", entry.path, exc)


# ---------------------------------------------------------------------- header parsing


def _parse_uint(request: Request, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    if not _UINT_RE.fullmatch(raw.strip()):
        raise TusError(400, f"{name} must be a non-negative integer")
    return int(raw)


def _parse_metadata(raw: str | None) -> dict[str, str]:
    if raw is None or raw.strip() == "":
        return {}
    if len(raw.encode("latin-1", "replace")) > MAX_METADATA_BYTES:
        raise TusError(400, f"Upload-Metadata is larger than {MAX_METADATA_BYTES} bytes")
    metadata: dict[str, str] = {}
    for pair in raw.split(","):
        parts = pair.strip().split(" ")
        if len(parts) > 2 or not parts[0]:
            raise TusError(400, "Upload-Metadata must be comma-separated 'key base64value' pairs")
        key = parts[0]
        if not key.isascii() or key in metadata:
            raise TusError(400, f"Upload-Metadata key {key!r} is not ASCII or is repeated")
        value = ""
        if len(parts) == 2:
            try:
                value = base64.b64decode(parts[1], validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                raise TusError(
                    400, f"Upload-Metadata value for {key!r} is not base64-encoded UTF-8"
                ) from None
        metadata[key] = value
    return metadata


@dataclass(frozen=True)
class _Checksum:
    algorithm: str
    digest: bytes


def _parse_checksum(request: Request) -> _Checksum | None:
    raw = request.headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _, encoded = raw.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise TusError(
            400,
            f"checksum algorithm {algorithm!r} is not supported; "
            f"use one of {', '.join(CHECKSUM_ALGORITHMS)}",
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise TusError(400, "Upload-Checksum digest is not valid base64") from None
    if len(digest) != _new_digest(algorithm).digest_size:
        raise TusError(400, f"Upload-Checksum digest has the wrong length for {algorithm}")
    return _Checksum(algorithm, digest)


def _new_digest(algorithm: str) -> _Digest:
    # sha1/md5 only guard against transport damage here; sha256 is the evidence hash.
    return hashlib.new(algorithm, usedforsecurity=algorithm == "sha256")


def _require_tus_resumable(request: Request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusError(
            412,
            f"this server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'",
            {"Tus-Version": TUS_VERSION},
        )


def _check_upload_id(upload_id: str) -> None:
    # Ids are ours (32 hex chars); anything else never reaches the filesystem.
    if not _ID_RE.fullmatch(upload_id):
        raise TusError(404, "upload not found")


def _is_offset_stream(request: Request) -> bool:
    content_type = request.headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower() == OFFSET_CONTENT_TYPE


def _check_result_headers(result: Mapping[str, str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in result.items():
        if not isinstance(name, str) or not _TOKEN_RE.fullmatch(name):
            raise TypeError(f"on_complete returned an invalid header name {name!r}")
        lowered = name.lower()
        if lowered in _RESERVED_HEADERS or lowered.startswith(_RESERVED_HEADER_PREFIXES):
            raise TypeError(f"on_complete may not set the {name} header")
        if not isinstance(value, str) or any(c in value for c in "\r\n\0"):
            raise TypeError(f"on_complete returned an invalid value for header {name}")
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise TypeError(f"header {name} must be Latin-1 text") from None
        headers[name] = value
    return headers


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


def _write_and_hash(fd: int, pieces: Sequence[bytes], digests: Sequence[_Digest]) -> None:
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


class _RunningHashes:
    """SHA-256 state per upload for bytes that arrived in order in this process.

    Entries are only trusted when their offset matches the committed offset, so a stale one
    (another worker advanced the upload) is simply ignored. Bounded so abandoned uploads
    cannot grow memory; an evicted upload is re-hashed from disk at completion instead.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[int, _Digest]] = OrderedDict()

    def take(self, upload_id: str, offset: int) -> _Digest | None:
        entry = self._entries.pop(upload_id, None)
        if offset == 0:
            return _new_digest("sha256")
        if entry is not None and entry[0] == offset:
            return entry[1]
        return None

    def put(self, upload_id: str, offset: int, digest: _Digest) -> None:
        self._entries[upload_id] = (offset, digest)
        self._entries.move_to_end(upload_id)
        while len(self._entries) > _MAX_RUNNING_HASHES:
            self._entries.popitem(last=False)

    def drop(self, upload_id: str) -> None:
        self._entries.pop(upload_id, None)


# ------------------------------------------------------------------------------- service


class _TusService:
    def __init__(self, config: TusConfig, on_complete: OnComplete) -> None:
        self.config = config
        self.on_complete = on_complete
        self.hashes = _RunningHashes()
        self.last_sweep = 0.0

    def load_live(self, upload_id: str) -> _Info:
        # Runs in a worker thread, so it leaves the (event-loop owned) running hashes alone.
        info = _read_info(self.config, upload_id)
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

    def create(self, length: int | None, metadata_raw: str, metadata: dict[str, str]) -> _Info:
        config = self.config
        upload_id = secrets.token_hex(16)
        now = time.time()
        info = _Info(
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
        os.close(os.open(_lock_path(config, upload_id), flags, 0o600))
        fd = os.open(_data_path(config, upload_id), flags, 0o600)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        _write_info(config, info)
        return info

    async def receive_chunk(
        self,
        request: Request,
        info: _Info,
        checksum: _Checksum | None,
        *,
        commit_info: bool = False,
    ) -> tuple[_Info, str | None]:
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
        checker = _new_digest(checksum.algorithm) if checksum is not None else None
        digests = [d for d in (chunk_running, checker) if d is not None]

        fd = await run_in_threadpool(_open_at_offset, _data_path(config, info.upload_id), old)
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
            await run_in_threadpool(_write_info, config, info)
        if chunk_running is not None:
            self.hashes.put(info.upload_id, info.offset, chunk_running)
        return info, interrupted

    async def complete(self, info: _Info) -> dict[str, str]:
        """Hand the finished file to on_complete; must be called with the upload lock held."""
        if info.completed:
            return info.result
        config = self.config
        path = _data_path(config, info.upload_id)
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
            await run_in_threadpool(_write_info, config, info)
        self.hashes.drop(info.upload_id)
        completed = CompletedUpload(
            upload_id=info.upload_id,
            path=path,
            size=info.length,
            sha256=info.sha256,
            metadata=dict(info.metadata),
        )
        try:
            result = _check_result_headers(await run_in_threadpool(self.on_complete, completed))
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
        await run_in_threadpool(_write_info, config, info)
        # on_complete may have moved the file into storage already.
        await run_in_threadpool(path.unlink, True)
        return result


# -------------------------------------------------------------------------------- router


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


def _check_body_fits(config: TusConfig, info: _Info, content_length: int | None) -> None:
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


def _state_headers(info: _Info) -> dict[str, str]:
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
    service = _TusService(config, on_complete)
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
            _require_tus_resumable(request)
            if "Upload-Concat" in request.headers:
                raise TusError(400, "the concatenation extension is not supported")
            length = _parse_uint(request, "Upload-Length")
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
            metadata = _parse_metadata(metadata_raw)
            if validate_metadata is not None:
                try:
                    await run_in_threadpool(validate_metadata, metadata)
                except ValueError as exc:
                    raise TusError(400, f"invalid upload metadata: {exc}") from exc
            content_length = _parse_uint(request, "Content-Length")
            chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
            with_body = bool(content_length) or chunked
            checksum = None
            if with_body:
                # creation-with-upload: same rules as a PATCH at offset 0.
                if not _is_offset_stream(request):
                    raise TusError(415, f"an upload body needs Content-Type: {OFFSET_CONTENT_TYPE}")
                checksum = _parse_checksum(request)
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
            with _upload_lock(config, info.upload_id):
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
            _require_tus_resumable(request)
            _check_upload_id(upload_id)
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
            _require_tus_resumable(request)
            _check_upload_id(upload_id)
            if not _is_offset_stream(request):
                raise TusError(415, f"PATCH needs Content-Type: {OFFSET_CONTENT_TYPE}")
            offset = _parse_uint(request, "Upload-Offset")
            if offset is None:
                raise TusError(400, "Upload-Offset is required")
            new_length = _parse_uint(request, "Upload-Length")
            content_length = _parse_uint(request, "Content-Length")
            checksum = _parse_checksum(request)
            with _upload_lock(config, upload_id):
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
                    # Saved together with the chunk, so a refused chunk leaves it unset.
                    info.length = new_length
                    length_set = True
                _check_body_fits(config, info, content_length)
                if info.completed:
                    # Only the empty "finish" PATCH reaches here (a body would not fit);
                    # answer it again so a client that lost the first reply gets the result.
                    pass
                elif content_length == 0:
                    if length_set:
                        await run_in_threadpool(_write_info, config, info)
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
            _require_tus_resumable(request)
            _check_upload_id(upload_id)
            with _upload_lock(config, upload_id):
                if await run_in_threadpool(_read_info, config, upload_id) is None:
                    raise TusError(404, "upload not found")
                await run_in_threadpool(_remove_upload_files, config, upload_id)
            service.hashes.drop(upload_id)
        except TusError as exc:
            return _error(exc)
        return _response(204)

    return router

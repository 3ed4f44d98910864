"""Upload state on disk: the info, data and lock files of each upload, and sweeping.

See the package docstring for the three files per upload and the durability rule.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sunlight.web.tus.config import TusConfig
from sunlight.web.tus.protocol import ID_RE, TusError

log = logging.getLogger(__name__)


@dataclass
class UploadInfo:
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
    def from_json(cls, raw: bytes) -> UploadInfo:
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

    @property
    def received(self) -> bool:
        """Every byte is in but no completion has succeeded yet: these bytes never expire
        (they may be evidence someone was told was uploaded); a retried completion or
        ``sunlight reconcile`` finishes them."""
        return self.length is not None and self.offset == self.length and not self.completed

    @property
    def remaining(self) -> int:
        """Declared bytes still to come (0 when the length is deferred or all arrived)."""
        return 0 if self.length is None else max(self.length - self.offset, 0)

    def expired(self, now: float) -> bool:
        return now >= self.expires and not self.received


def data_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.bin"


def _info_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.json"


def lock_path(config: TusConfig, upload_id: str) -> Path:
    return config.staging_dir / f"{upload_id}.lock"


def _fsync_dir(path: Path) -> None:
    # A rename or unlink is only durable once the directory entry itself is flushed.
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_info(config: TusConfig, info: UploadInfo) -> None:
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


def read_info(config: TusConfig, upload_id: str) -> UploadInfo | None:
    try:
        raw = _info_path(config, upload_id).read_bytes()
    except FileNotFoundError:
        return None
    try:
        return UploadInfo.from_json(raw)
    except (ValueError, KeyError, TypeError) as exc:
        log.error("tus upload %s has an unreadable info file: %s", upload_id, exc)
        raise TusError(500, "upload state is unreadable; start a new upload") from exc


def iter_infos(config: TusConfig) -> Iterator[UploadInfo]:
    """Every readable upload's committed state, read one at a time (unlocked snapshots)."""
    try:
        entries = os.scandir(config.staging_dir)
    except FileNotFoundError:
        return
    with entries:
        for entry in entries:
            upload_id, _, suffix = entry.name.partition(".")
            if suffix != "json" or not ID_RE.fullmatch(upload_id):
                continue
            try:
                info = read_info(config, upload_id)
            except (TusError, OSError):
                continue
            if info is not None:
                yield info


@contextlib.contextmanager
def creation_lock(config: TusConfig) -> Iterator[None]:
    """Serialise creations (across worker processes) so space checks cannot race."""
    # The folder itself is the lock target (flock works on a directory descriptor), so
    # the folder holds nothing but uploads.
    fd = os.open(config.staging_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_upload_files(config: TusConfig, upload_id: str) -> None:
    # The info file goes first: its absence is what makes the upload unknown to readers.
    for path in (
        _info_path(config, upload_id),
        data_path(config, upload_id),
        lock_path(config, upload_id),
    ):
        path.unlink(missing_ok=True)
    _fsync_dir(config.staging_dir)


@contextlib.contextmanager
def upload_lock(config: TusConfig, upload_id: str) -> Iterator[None]:
    """Hold the upload's flock, failing fast with 423 rather than queueing writers.

    flock locks belong to the open file description, so they exclude other requests in this
    process as well as other worker processes. The lock file is never created here: it is
    made with the upload, so a missing one means the upload is gone.
    """
    try:
        fd = os.open(lock_path(config, upload_id), os.O_RDWR | os.O_CLOEXEC)
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
        entries = os.scandir(config.staging_dir)
    except FileNotFoundError:
        return removed
    with entries:  # streamed: memory does not grow with the folder
        for entry in entries:
            _sweep_entry(config, entry, now, grace, removed)
    return removed


def _sweep_entry(
    config: TusConfig, entry: os.DirEntry[str], now: float, grace: float, removed: list[str]
) -> None:
    upload_id, _, suffix = entry.name.partition(".")
    if not ID_RE.fullmatch(upload_id):
        return
    if suffix == "json":
        try:
            with upload_lock(config, upload_id):
                info = read_info(config, upload_id)
                if info is not None and info.expired(now):
                    remove_upload_files(config, upload_id)
                    removed.append(upload_id)
        except TusError as exc:
            if exc.status != 423:  # unreadable state or lost lock file: go by file age
                _remove_if_stale(config, upload_id, entry, now, grace, removed)
        except OSError as exc:
            log.warning("tus sweep could not check upload %s: %s", upload_id, exc)
    elif suffix.startswith("json.tmp-") or not _info_path(config, upload_id).exists():
        # An info write or a creation cut short by a crash.
        _remove_if_stale(config, upload_id, entry, now, grace, removed)


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
            remove_upload_files(config, upload_id)
            removed.append(upload_id)
    except OSError as exc:
        log.warning("tus sweep could not remove %s: %s", entry.path, exc)

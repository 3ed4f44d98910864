"""Content-addressed storage on a local filesystem.

Write order for every object: a temporary file in the store, ``fsync`` of the file,
``rename`` into place, ``fsync`` of the folder. A crash at any point leaves either no object
(only a temporary file, swept by ``sweep_temp``) or a complete one whose bytes match its name.
Stored files are made read-only so a slip cannot edit evidence in place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sunlight.storage.base import (
    CHUNK_SIZE,
    IntegrityError,
    ObjectNotFound,
    ProgressCallback,
    StorageError,
    StoredObject,
    check_sha256,
    hash_file,
    object_key,
)

_READ_ONLY = 0o440
_BUFFERS = 4  # in flight between the reading/hashing thread and the writing thread
# Flush written data to disk every so often while copying, so the final fsync does not
# wait for gigabytes of dirty pages: write-back overlaps with reading and hashing.
_FLUSH_EVERY = 256 * 1024 * 1024


def _copy_hashing(stream: BinaryIO, fd: int, progress: ProgressCallback | None) -> tuple[str, int]:
    """Copy ``stream`` to ``fd`` while hashing it, with the hashing and the writing on two
    threads (both release the GIL), so a large file costs about one pass, not two."""
    digest = hashlib.sha256()
    free: queue.Queue[bytearray] = queue.Queue()
    for _ in range(_BUFFERS):
        free.put(bytearray(CHUNK_SIZE))
    filled: queue.Queue[tuple[bytearray, int] | None] = queue.Queue()
    failure: list[BaseException] = []

    def write() -> None:
        unflushed = 0
        while (item := filled.get()) is not None:
            buf, n = item
            try:
                if not failure:
                    view = memoryview(buf)[:n]
                    while view:
                        view = view[os.write(fd, view) :]
                    unflushed += n
                    if unflushed >= _FLUSH_EVERY:
                        os.fdatasync(fd)
                        unflushed = 0
            except BaseException as exc:  # reported to the reading thread below
                failure.append(exc)
            free.put(buf)

    writer = threading.Thread(target=write, name="sunlight-store-writer", daemon=True)
    writer.start()
    size = 0
    try:
        while not failure:
            buf = free.get()
            n = stream.readinto(buf)  # type: ignore[attr-defined]
            if not n:
                free.put(buf)
                break
            digest.update(memoryview(buf)[:n])
            filled.put((buf, n))
            size += n
            if progress:
                progress(n)
    finally:
        filled.put(None)
        writer.join()
    if failure:
        raise failure[0]
    return digest.hexdigest(), size


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalObjectStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.url = f"file://{self.root}"
        self.temp_dir = self.root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.temp_dir.mkdir(exist_ok=True, mode=0o700)

    def path_for(self, sha256: str) -> Path:
        return self.root / object_key(sha256)

    # -- writing ---------------------------------------------------------------------

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        expected_sha256: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        fd, temp_name = tempfile.mkstemp(dir=self.temp_dir, prefix="put-")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb", buffering=0) as out:
                sha256, size = _copy_hashing(stream, out.fileno(), progress)
                os.fsync(out.fileno())
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise IntegrityError(
                    f"content hashes to {sha256}, expected {expected_sha256}; nothing stored"
                )
            return self._install(temp, sha256, size)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()

    def put_file(
        self,
        path: Path,
        *,
        sha256: str | None = None,
        move: bool = False,
        link: bool = False,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        path = Path(path)
        if link:
            if sha256 is None:
                raise ValueError("link=True needs the file's sha256")
            return self._put_linked(path, check_sha256(sha256), progress)
        if not move or sha256 is None:
            with open(path, "rb") as fh:
                stored = self.put_stream(fh, expected_sha256=sha256, progress=progress)
            if move:
                path.unlink()
            return stored
        check_sha256(sha256)
        # The caller vouches for the hash (it was computed while the bytes streamed in), so
        # a same-filesystem rename is enough; fsync first so the rename never exposes a
        # file whose data blocks are still in the page cache only.
        with open(path, "rb+") as fh:
            os.fsync(fh.fileno())
        size = path.stat().st_size
        if progress:
            progress(size)
        try:
            return self._install(path, sha256, size)
        except OSError as exc:  # e.g. EXDEV: uploads folder on another filesystem
            if getattr(exc, "errno", None) != 18:
                raise
            with open(path, "rb") as fh:
                stored = self.put_stream(fh, expected_sha256=sha256)
            path.unlink()
            return stored

    def _put_linked(
        self, path: Path, sha256: str, progress: ProgressCallback | None
    ) -> StoredObject:
        # As with a move, the caller vouches for the hash; unlike a move its file stays, so
        # whatever it still has to commit can fail without the bytes going anywhere.
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        size = path.stat().st_size
        if progress:
            progress(size)
        final = self.path_for(sha256)
        if final.exists():
            return self._same_size(final, sha256, size)
        self._make_parents(final.parent)
        # One inode under two names: made read-only first so neither name can edit it.
        os.chmod(path, _READ_ONLY)
        try:
            os.link(path, final)
        except FileExistsError:
            return self._same_size(final, sha256, size)
        except OSError as exc:  # another filesystem, or one without hard links: copy
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            with open(path, "rb") as fh:
                return self.put_stream(fh, expected_sha256=sha256)
        fsync_dir(final.parent)
        return StoredObject(sha256, size, created=True)

    @staticmethod
    def _same_size(final: Path, sha256: str, size: int) -> StoredObject:
        if final.stat().st_size != size:
            raise StorageError(f"stored object {sha256} has the wrong size; run `sunlight audit`")
        return StoredObject(sha256, size, created=False)

    def _install(self, temp: Path, sha256: str, size: int) -> StoredObject:
        final = self.path_for(sha256)
        if final.exists():
            if final.stat().st_size != size:
                raise StorageError(
                    f"stored object {sha256} has the wrong size; run `sunlight audit`"
                )
            temp.unlink()
            return StoredObject(sha256, size, created=False)
        self._make_parents(final.parent)
        os.chmod(temp, _READ_ONLY)
        os.rename(temp, final)
        fsync_dir(final.parent)
        return StoredObject(sha256, size, created=True)

    def _make_parents(self, folder: Path) -> None:
        missing = []
        current = folder
        while not current.exists():
            missing.append(current)
            current = current.parent
        for created in reversed(missing):
            with contextlib.suppress(FileExistsError):
                created.mkdir(mode=0o700)
            fsync_dir(created.parent)

    # -- reading ---------------------------------------------------------------------

    def _existing(self, sha256: str) -> Path:
        path = self.path_for(sha256)
        if not path.is_file():
            raise ObjectNotFound(sha256)
        return path

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def size(self, sha256: str) -> int:
        return self._existing(sha256).stat().st_size

    def stored_at(self, sha256: str) -> datetime:
        # ctime, not mtime: installing an object (chmod, rename or link) sets ctime, while
        # mtime may be the age of a staged upload's last write, long before.
        return datetime.fromtimestamp(self._existing(sha256).stat().st_ctime, UTC)

    def iter_range(
        self, sha256: str, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        path = self._existing(sha256)
        with open(path, "rb") as fh:
            fh.seek(start)
            remaining = None if end is None else end - start + 1
            while remaining is None or remaining > 0:
                want = chunk_size if remaining is None else min(chunk_size, remaining)
                data = fh.read(want)
                if not data:
                    break
                if remaining is not None:
                    remaining -= len(data)
                yield data

    def local_path(self, sha256: str) -> Path | None:
        path = self.path_for(sha256)
        return path if path.is_file() else None

    def fetch_to(self, sha256: str, destination: Path) -> None:
        shutil.copyfile(self._existing(sha256), destination)

    def delete(self, sha256: str) -> bool:
        path = self.path_for(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True

    def iter_objects(self) -> Iterator[str]:
        base = self.root / "sha256"
        if not base.exists():
            return
        for first in sorted(base.iterdir()):
            for second in sorted(first.iterdir()):
                for obj in sorted(second.iterdir()):
                    yield obj.name

    def verify(self, sha256: str) -> bool:
        digest, _ = hash_file(self._existing(sha256))
        return digest == sha256

    def sweep_temp(self, older_than_s: float = 3600) -> int:
        """Remove temporary files left by a crash mid-write (never acknowledged)."""
        cutoff = time.time() - older_than_s
        removed = 0
        for temp in self.temp_dir.iterdir():
            if temp.stat().st_mtime < cutoff:
                temp.unlink()
                removed += 1
        return removed

"""The object-store contract: content-addressed, write-once, verified bytes.

Objects are named by the SHA-256 of their bytes, so the same bytes are stored once and a
name can never point at different content. Stores never overwrite or edit an object; the
only way bytes leave is an explicit ``delete`` (retention), which the caller records.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from sunlight.errors import NotFound

CHUNK_SIZE = 4 * 1024 * 1024
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")

ProgressCallback = Callable[[int], None]


class StorageError(RuntimeError):
    """The store could not complete an operation; nothing was acknowledged."""


class ObjectNotFound(StorageError, NotFound):
    pass


class IntegrityError(StorageError):
    """Bytes did not match the hash they were expected to have."""


@dataclass(frozen=True)
class StoredObject:
    sha256: str
    size: int
    created: bool  # False when identical bytes were already stored


def check_sha256(value: str) -> str:
    if not _SHA256_RE.match(value):
        raise ValueError(f"not a lowercase hex SHA-256 digest: {value!r}")
    return value


def object_key(sha256: str) -> str:
    """Fan out by the first two bytes so no folder grows past 65,536 entries."""
    check_sha256(sha256)
    return f"sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}"


def hash_file(path: Path, progress: ProgressCallback | None = None) -> tuple[str, int]:
    """Stream a file through SHA-256 without loading it into memory."""
    digest = hashlib.sha256()
    size = 0
    buf = bytearray(CHUNK_SIZE)
    view = memoryview(buf)
    with open(path, "rb") as fh:
        while n := fh.readinto(buf):
            digest.update(view[:n])
            size += n
            if progress:
                progress(n)
    return digest.hexdigest(), size


@runtime_checkable
class ObjectStore(Protocol):
    """What every storage back end provides. ``url`` identifies the store in settings."""

    url: str

    def put_stream(
        self,
        stream: BinaryIO,
        *,
        expected_sha256: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        """Copy ``stream`` into the store, hashing as it goes; durable before returning.

        Raises ``IntegrityError`` (storing nothing) when ``expected_sha256`` is given and
        does not match.
        """
        ...

    def put_file(
        self,
        path: Path,
        *,
        sha256: str | None = None,
        move: bool = False,
        link: bool = False,
        progress: ProgressCallback | None = None,
    ) -> StoredObject:
        """Store a local file. With ``sha256`` already known (for instance computed while
        an upload streamed in) and ``move=True``, a store on the same filesystem may rename
        the file into place instead of copying it.

        ``link=True`` (with ``sha256`` known) hands the file over *without* consuming it: a
        store on the same filesystem may hard-link it into place (the file then becomes
        read-only, and the caller must never write it again, only delete it), others copy
        it. The caller keeps its file until whatever refers to the object is committed, so
        a failure in between loses nothing.
        """
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int: ...

    def stored_at(self, sha256: str) -> datetime:
        """When the object was put into the store (UTC); ``ObjectNotFound`` if absent.

        Reconcilers use it to leave alone objects a writer stored moments ago and is about
        to commit a row for.
        """
        ...

    def iter_range(
        self, sha256: str, start: int = 0, end: int | None = None, chunk_size: int = CHUNK_SIZE
    ) -> Iterator[bytes]:
        """Yield bytes ``start``..``end`` inclusive (``end=None``: to the last byte)."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """A path on this machine holding the object, if the back end has one."""
        ...

    def fetch_to(self, sha256: str, destination: Path) -> None:
        """Copy an object to a local file (for media jobs that need a seekable file)."""
        ...

    def delete(self, sha256: str) -> bool:
        """Remove an object; True if it existed."""
        ...

    def iter_objects(self) -> Iterator[str]:
        """Every stored digest (for audits and reconcilers)."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-read the object and check that its bytes still hash to its name."""
        ...

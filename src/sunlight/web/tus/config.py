"""Public types of the tus server: its configuration and what ``on_complete`` receives."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path


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
    # Free space kept on the staging disk: a new upload is refused (507) unless its declared
    # length, the bytes other uploads have declared but not yet sent, and this margin fit.
    reserve_bytes: int = 0

    def __post_init__(self) -> None:
        if self.max_size < 0:
            raise ValueError("max_size must not be negative")
        if self.chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        if self.expiry <= timedelta(0):
            raise ValueError("expiry must be positive")
        if self.read_timeout <= 0:
            raise ValueError("read_timeout must be positive")
        if self.reserve_bytes < 0:
            raise ValueError("reserve_bytes must not be negative")


@dataclass(frozen=True)
class CompletedUpload:
    upload_id: str
    path: Path  # the staging file holding every byte, fsynced; on_complete may move it
    size: int
    sha256: str  # lowercase hex
    metadata: dict[str, str]  # decoded Upload-Metadata


OnComplete = Callable[[CompletedUpload], Mapping[str, str]]

"""Content-addressed object storage: local files by default, S3-compatible at scale."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from sunlight.storage.base import (
    IntegrityError,
    ObjectNotFound,
    ObjectStore,
    StorageError,
    StoredObject,
    hash_file,
    object_key,
)
from sunlight.storage.local import LocalObjectStore

__all__ = [
    "IntegrityError",
    "LocalObjectStore",
    "ObjectNotFound",
    "ObjectStore",
    "StorageError",
    "StoredObject",
    "hash_file",
    "object_key",
    "open_store",
]


def open_store(url: str) -> ObjectStore:
    """``file:///path`` or ``s3://bucket/prefix?endpoint=http://host:port&region=…``."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalObjectStore(Path(parsed.path))
    if parsed.scheme == "s3":
        from sunlight.storage.s3 import S3ObjectStore

        return S3ObjectStore.from_url(url)
    raise ValueError(f"unsupported storage URL {url!r}: use file:///path or s3://bucket")

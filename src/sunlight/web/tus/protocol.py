"""tus 1.0.0 protocol vocabulary: constants, ``TusError`` and header parsing and checking.

Everything here is pure: it reads headers and values and never touches the staging files.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request

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

ID_RE = re.compile(r"[0-9a-f]{32}")
# Upper bound on digits keeps int() cheap and values inside a signed 64-bit off_t.
_UINT_RE = re.compile(r"[0-9]{1,18}")
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# on_complete may not return headers that would change the meaning of the tus exchange.
_RESERVED_HEADER_PREFIXES = ("tus-", "upload-", "content-", "access-control-")
_RESERVED_HEADERS = frozenset(
    {"location", "cache-control", "connection", "transfer-encoding", "set-cookie", "retry-after"}
)


class Digest(Protocol):
    """The part of a hashlib hash object that uploads use."""

    @property
    def digest_size(self) -> int: ...
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> Digest: ...


class TusError(Exception):
    """A request the server refuses; becomes a plain-text response with ``status``."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def parse_uint(request: Request, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    if not _UINT_RE.fullmatch(raw.strip()):
        raise TusError(400, f"{name} must be a non-negative integer")
    return int(raw)


def parse_metadata(raw: str | None) -> dict[str, str]:
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
class Checksum:
    algorithm: str
    digest: bytes


def parse_checksum(request: Request) -> Checksum | None:
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
    if len(digest) != new_digest(algorithm).digest_size:
        raise TusError(400, f"Upload-Checksum digest has the wrong length for {algorithm}")
    return Checksum(algorithm, digest)


def new_digest(algorithm: str) -> Digest:
    # sha1/md5 only guard against transport damage here; sha256 is the evidence hash.
    return hashlib.new(algorithm, usedforsecurity=algorithm == "sha256")


def require_tus_resumable(request: Request) -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusError(
            412,
            f"this server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'",
            {"Tus-Version": TUS_VERSION},
        )


def check_upload_id(upload_id: str) -> None:
    # Ids are ours (32 hex chars); anything else never reaches the filesystem.
    if not ID_RE.fullmatch(upload_id):
        raise TusError(404, "upload not found")


def is_offset_stream(request: Request) -> bool:
    content_type = request.headers.get("Content-Type", "")
    return content_type.split(";", 1)[0].strip().lower() == OFFSET_CONTENT_TYPE


def check_result_headers(result: Mapping[str, str]) -> dict[str, str]:
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

"""How a custody event becomes a ledger entry (the bytes under a Merkle leaf).

An entry is the RFC 8785 canonical JSON of::

    {"v": 1, "event": 42, "time": "2026-05-08T19:03:00.123456Z", "action": "ingest",
     "object": {"type": "recording", "id": "7"}, "outcome": "success",
     "hashes": {"sha256": "<hex>"}, "private": "<hex>"}

Public fields are what the records law lets anyone see about custody: which event, when,
what kind of action on which object, its outcome, and the SHA-256 values of the evidence
bytes involved. Everything else (the actor, the reason text, filenames, notes, officer and
camera identifiers: the event's free-text and personal details) is committed by
``private = SHA-256(salt || canonical_json({"actor": ..., "reason": ..., "details": ...}))``
with a fresh 32-byte random salt per event. The salt is kept by the log and disclosed with
the record; without it the commitment reveals nothing, even about short or guessable values.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sunlight.ledger.canonical import CanonicalizationError, canonical_json, canonical_string

__all__ = [
    "ENTRY_VERSION",
    "SALT_SIZE",
    "EventFields",
    "build_entry",
    "entry_document",
    "new_salt",
    "private_commitment",
    "private_part",
    "public_hashes",
]

ENTRY_VERSION = 1
SALT_SIZE = 32

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class EventFields:
    """The columns of a custody event that an entry is made from."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    outcome: str
    reason: str | None
    details: Mapping[str, Any]


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_SIZE)


def format_time(value: datetime) -> str:
    """UTC, microseconds, 'Z': the precision both databases keep."""
    if value.tzinfo is None:
        raise ValueError("custody times must carry a timezone")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def public_hashes(details: Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 values in an event's details (``sha256`` and ``*_sha256`` keys, top level)."""
    return {
        key: value
        for key, value in details.items()
        if (key == "sha256" or key.endswith("_sha256"))
        and isinstance(value, str)
        and _HEX64.fullmatch(value)
    }


def private_part(event: EventFields) -> bytes:
    """The canonical JSON of the fields that stay closed until release."""
    # Same bytes as canonical_json({"actor": ..., "details": ..., "reason": ...}) (the keys
    # are laid out in their sorted order), without walking the fixed part generically.
    try:
        reason = "null" if event.reason is None else canonical_string(event.reason)
        return (
            f'{{"actor":{canonical_string(event.actor)},'
            f'"details":{canonical_json(dict(event.details)).decode("utf-8")},'
            f'"reason":{reason}}}'
        ).encode()
    except CanonicalizationError:
        # A value RFC 8785 cannot carry exactly (an integer beyond 2^53, a lone surrogate)
        # must not stop the log: commit to an exact, deterministic JSON text instead.
        exact = json.dumps(
            {"actor": event.actor, "details": event.details, "reason": event.reason},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
            default=repr,
        )
        return canonical_json({"exact": exact})


def private_commitment(salt: bytes, private: bytes) -> str:
    return hashlib.sha256(salt + private).hexdigest()


def entry_document(event: EventFields, salt: bytes) -> dict[str, Any]:
    """The entry as a JSON-ready dict (the reference for :func:`build_entry`)."""
    return {
        "v": ENTRY_VERSION,
        "event": event.id,
        "time": format_time(event.occurred_at),
        "action": event.action,
        "object": {"type": event.object_type, "id": event.object_id},
        "outcome": event.outcome,
        "hashes": public_hashes(event.details),
        "private": private_commitment(salt, private_part(event)),
    }


def build_entry(event: EventFields, salt: bytes) -> bytes:
    """Return the canonical entry bytes for ``event`` committed with ``salt``.

    Equal to ``canonical_json(entry_document(event, salt))``; written out with the keys in
    their RFC 8785 order because sealing and auditing call it once per event.
    """
    if len(salt) != SALT_SIZE:
        raise ValueError(f"salt must be {SALT_SIZE} bytes")
    if type(event.id) is not int or not 0 <= event.id <= 2**53:
        raise ValueError("event ids must be integers in [0, 2^53]")
    s = canonical_string
    return (
        f'{{"action":{s(event.action)},"event":{event.id},'
        f'"hashes":{canonical_json(public_hashes(event.details)).decode("utf-8")},'
        f'"object":{{"id":{s(event.object_id)},"type":{s(event.object_type)}}},'
        f'"outcome":{s(event.outcome)},'
        f'"private":"{private_commitment(salt, private_part(event))}",'
        f'"time":"{format_time(event.occurred_at)}","v":{ENTRY_VERSION}}}'
    ).encode()

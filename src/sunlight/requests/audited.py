"""The records-request columns the custody log states after every timeline entry, so the
replay audit (``sunlight.requests.replay``) finds a status, clock, denial or fee edited
outside Sunlight. The requester's identity is not written to the custody log: a salted
commitment to it is (:func:`requester_commitment`)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sunlight.requests.models import RecordsRequest

#: The request's columns that every timeline entry's custody event states as they stand
#: after it, so the replay audit finds a status, clock, denial or fee edited outside
#: Sunlight. The requester's identity is not written to the custody log.
AUDITED_FIELDS: tuple[str, ...] = (
    "tracking_number",
    "status",
    "status_at",
    "received_at",
    "received_date",
    "clock_from",
    "available_at",
    "denial_provision",
    "denial_reason",
    "grounds_requested_at",
    "grounds_given_at",
    "fee_estimate_cents",
    "prepayment_required",
    "prepayment_received_at",
)


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def audited_fields(request: RecordsRequest) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in AUDITED_FIELDS:
        value = getattr(request, name)
        values[name] = iso(value) if isinstance(value, (date, datetime)) else value
    return values


#: The columns the commitment covers, in order.
REQUESTER_COLUMNS: tuple[str, ...] = ("requester_name", "requester_email", "requester_phone")
#: The name under which request.event custody events carry the commitment (inside
#: ``details["request"]``), and under which the replay compares it.
COMMITMENT = "requester_commitment"
#: What a malformed salt commits to: never a commitment an event carries.
BAD_SALT = "malformed requester_salt"


def new_requester_salt() -> str:
    return secrets.token_hex(32)


def requester_commitment(row: Mapping[str, Any]) -> str | None:
    """SHA-256(salt || JSON [name, email, phone]) in hex, from a request's columns (a row
    mapping or the ORM object's attributes); None without a salt.

    The salt is 32 random bytes kept only in ``records_requests.requester_salt``: the
    commitment, which the custody log carries among an event's private details (disclosed
    with a proof bundle), says nothing about the requester to anyone without the database,
    not even whether a guessed name or email is theirs. The audit, which has the database,
    recomputes it: an edit of the name, email, phone or salt no longer matches.
    """
    salt = row.get("requester_salt")
    if salt is None:
        return None
    try:
        key = bytes.fromhex(str(salt))
    except ValueError:
        return BAD_SALT
    if len(key) != 32:
        return BAD_SALT
    body = json.dumps([row.get(c) for c in REQUESTER_COLUMNS], ensure_ascii=False)
    return hashlib.sha256(key + body.encode("utf-8")).hexdigest()


def stated_fields(request: RecordsRequest) -> dict[str, Any]:
    """What a request.event custody event states about the request: its audited fields
    and the commitment to the requester's identity (a salt is drawn for a request filed
    before commitments were kept)."""
    if request.requester_salt is None:
        request.requester_salt = new_requester_salt()
    values = audited_fields(request)
    values[COMMITMENT] = requester_commitment(
        {c: getattr(request, c) for c in (*REQUESTER_COLUMNS, "requester_salt")}
    )
    return values

"""The records-request columns the custody log states after every timeline entry, so the
replay audit (``sunlight.requests.replay``) finds a status, clock, denial or fee edited
outside Sunlight. The requester's identity is not written to the custody log."""

from __future__ import annotations

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

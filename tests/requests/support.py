"""Helpers for the records-request tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sunlight.requests import service
from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime

#: Monday 7 December 2026, 10:00 in Kansas City.
MONDAY = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def file(runtime: Runtime, now: datetime = MONDAY, **fields: Any) -> tuple[int, str]:
    values: dict[str, Any] = {
        "name": "Jordan Example",
        "email": "jordan@example.org",
        "requester_type": "public",
        "description": "Body camera footage of the stop at 5th and Main on 1 December.",
    }
    values.update(fields)
    with runtime.db.session() as session:
        request, raw = service.file_request(session, now=now, **values)
        return request.id, raw


def load(runtime: Runtime, request_id: int) -> RecordsRequest:
    with runtime.db.session(read_only=True) as session:
        request = service.get(session, request_id)
        for rel in ("events", "pauses", "items", "verifications", "deliveries"):
            getattr(request, rel)
        session.expunge_all()
        return request

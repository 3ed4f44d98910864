"""Helpers for the records-request tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from sunlight.access import sharing_rules
from sunlight.requests import service
from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime

#: Monday 7 December 2026, 10:00 in Kansas City.
MONDAY = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def pin_share_clock(monkeypatch: pytest.MonkeyPatch, clock: Callable[[], datetime]) -> None:
    """Put the access policy's share conditions on the test's clock. ``shared_link`` (what a
    delivery's download link acts under) compares the share's expiry with the wall clock
    (``sharing_rules.utcnow``), whatever ``now`` the caller passed: a delivery made on
    ``MONDAY`` (30 days) was refused from 2027-01-06 16:00 UTC on, however the test set its
    own clock."""
    monkeypatch.setattr(sharing_rules, "utcnow", clock)


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

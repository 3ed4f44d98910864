"""Shared data for the retention tests: one recording time and an incident that claims it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime

RECORDED = datetime(2025, 1, 10, 15, 0, tzinfo=UTC)
DAY_180 = RECORDED.date() + timedelta(days=180)


def claiming_incident(runtime: Runtime, cad: str, type: str, rec: int) -> int:
    """A new incident of ``type``, made at RECORDED, that claims recording ``rec``."""
    with runtime.db.session() as session:
        incident = incidents.create_incident(
            session,
            cad_number=cad,
            type=type,
            started_at=RECORDED,
            ended_at=RECORDED + timedelta(hours=1),
            actor="test:clerk",
        )
        incidents.link_recording(session, incident.id, rec, actor="test:clerk")
        return incident.id

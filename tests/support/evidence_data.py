"""Fast evidence for domain tests: officers and recordings without generating video.

Recordings get real bytes in the runtime's object store (so retention can delete them)
and a real ingest custody event, but skip probing: a few bytes instead of a clip.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from datetime import datetime, timedelta

from sunlight.evidence.custody import Action, record
from sunlight.evidence.models import Officer, Recording
from sunlight.runtime import Runtime

_counter = itertools.count(1)


def add_officer(runtime: Runtime, badge: str, name: str, unit: str | None = None) -> int:
    with runtime.db.session() as session:
        officer = Officer(badge_number=badge, name=name, unit=unit)
        session.add(officer)
        session.flush()
        return officer.id


def add_recording(
    runtime: Runtime,
    *,
    recorded_at: datetime,
    officer_id: int | None = None,
    duration_s: float = 600.0,
    ingested_at: datetime | None = None,
    title: str | None = None,
) -> int:
    n = next(_counter)
    data = f"recording {n} at {recorded_at.isoformat()} by {officer_id}".encode()
    stored = runtime.store.put_stream(io.BytesIO(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    with runtime.db.session() as session:
        recording = Recording(
            sha256=stored.sha256,
            size_bytes=len(data),
            original_filename=f"BWC_{n:04d}.mp4",
            title=title,
            officer_id=officer_id,
            recorded_at=recorded_at,
            recorded_at_source="operator",
            ingested_at=ingested_at or recorded_at + timedelta(seconds=duration_s + 3600),
            ingest_source="cli",
            playable=True,
            browser_playable=True,
            duration_s=duration_s,
            derivatives_status="done",
        )
        session.add(recording)
        session.flush()
        record(
            session,
            actor="test:clerk",
            action=Action.INGEST,
            object_type="recording",
            object_id=recording.id,
            details={"sha256": stored.sha256},
        )
        return recording.id

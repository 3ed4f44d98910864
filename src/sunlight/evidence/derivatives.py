"""Playback derivatives: a browser-playable proxy, a poster frame and a thumbnail strip.

Idempotent: a recording whose derivatives are ready is left alone, and every output is a
content-addressed object, so a job that runs twice stores nothing twice.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import Recording
from sunlight.media import MediaError, make_poster, make_proxy, make_thumbnail_strip
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)

#: Playback copies are made by this named job, whichever worker runs it.
SYSTEM_ACTOR = Principal.system("derivatives").id
TASK_NAME = "sunlight.evidence.make_derivatives"


def make_derivatives(runtime: Runtime, recording_id: int) -> str:
    """Build what a recording needs for playback; returns the resulting status."""
    with runtime.db.session() as session:
        recording = session.get(Recording, recording_id)
        if recording is None:
            raise LookupError(f"no recording {recording_id}")
        if recording.derivatives_status in {"ready", "unavailable"}:
            return recording.derivatives_status
        sha256, needs_proxy = recording.sha256, not recording.browser_playable

    runtime.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        work = Path(scratch)
        source = runtime.store.local_path(sha256)
        if source is None:
            source = work / "original"
            runtime.store.fetch_to(sha256, source)
        try:
            poster = work / "poster.jpg"
            strip = work / "thumbs.jpg"
            make_poster(source, poster)
            make_thumbnail_strip(source, strip)
            proxy = work / "proxy.mp4" if needs_proxy else None
            if proxy is not None:
                make_proxy(source, proxy)
        except MediaError as exc:
            return _mark_failed(runtime, recording_id, str(exc))
        poster_obj = runtime.store.put_file(poster)
        strip_obj = runtime.store.put_file(strip)
        proxy_obj = runtime.store.put_file(proxy) if proxy is not None else None

    with runtime.db.session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        if recording.derivatives_status == "ready":  # another worker got there first
            return "ready"
        recording.poster_sha256 = poster_obj.sha256
        recording.thumbs_sha256 = strip_obj.sha256
        recording.proxy_sha256 = proxy_obj.sha256 if proxy_obj else None
        recording.derivatives_status = "ready"
        recording.derivatives_error = None
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.DERIVE,
            object_type="recording",
            object_id=recording_id,
            details={
                "parent_sha256": sha256,
                "poster_sha256": poster_obj.sha256,
                "thumbs_sha256": strip_obj.sha256,
                "proxy_sha256": proxy_obj.sha256 if proxy_obj else None,
            },
        )
    return "ready"


def _mark_failed(runtime: Runtime, recording_id: int, error: str) -> str:
    log.warning("derivatives failed for recording %s: %s", recording_id, error)
    with runtime.db.session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        recording.derivatives_status = "failed"
        recording.derivatives_error = error
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.DERIVE,
            object_type="recording",
            object_id=recording_id,
            outcome=Outcome.FAILED,
            reason=error[:500],
        )
    return "failed"


def reconcile(
    runtime: Runtime,
    *,
    older_than: timedelta = timedelta(minutes=2),
    now: datetime | None = None,
    batch_size: int = 500,
) -> list[int]:
    """Re-enqueue recordings whose derivative job was lost (crash between commit and enqueue).

    ``older_than`` leaves freshly ingested recordings to the job already queued for them.
    Reads the pending ids a batch at a time (keyset by id, one short read each) and
    enqueues each batch outside any transaction.
    """
    cutoff = (now or utcnow()) - older_than
    pending: list[int] = []
    after = 0
    while True:
        with runtime.db.session(read_only=True) as session:
            batch = list(
                session.scalars(
                    select(Recording.id)
                    .where(
                        Recording.derivatives_status == "pending",
                        Recording.ingested_at <= cutoff,
                        Recording.id > after,
                    )
                    .order_by(Recording.id)
                    .limit(batch_size)
                )
            )
        for recording_id in batch:
            runtime.jobs.enqueue(TASK_NAME, recording_id)
        pending.extend(batch)
        if len(batch) < batch_size:
            return pending
        after = batch[-1]

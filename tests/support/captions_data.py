"""Approved captions on a copy, for tests whose release decisions need them (the release
policy's ``require_approved_captions``)."""

from __future__ import annotations

from sunlight.captions import service
from sunlight.captions.vtt import Cue
from sunlight.db.base import utcnow
from sunlight.runtime import Runtime


def approve_captions(runtime: Runtime, recording_id: int, language: str = "en") -> None:
    """An approved one-cue caption track on ``recording_id`` (unless one is approved)."""
    if service.readiness(runtime, recording_id, language) is None:
        return
    now = utcnow()
    version = service.save_version(
        runtime,
        recording_id,
        [Cue(0.0, 0.5, "[No speech]")],
        language=language,
        actor="test:custodian",
        source="staff",
        now=now,
    )
    service.approve(runtime, recording_id, version=version.version, actor="test:custodian", now=now)

"""Demo captions: each demo copy gets an approved caption track written by a records
custodian before its release is decided (the release policy requires approved captions; the
demo clips have no speech, so the cues describe their sound)."""

from __future__ import annotations

from sqlalchemy import select

from sunlight.access.principal import Principal
from sunlight.captions import service
from sunlight.captions.vtt import Cue
from sunlight.db.base import utcnow
from sunlight.evidence.models import Recording
from sunlight.release.models import Release
from sunlight.runtime import Runtime

ACTOR = Principal.system("demo").id
#: What a custodian would write for a clip with no speech: its sounds, in brackets.
CUES = (
    (0.0, 2.0, "[Steady electronic tone]"),
    (2.0, 4.0, "[Tone continues; no speech]"),
)


def ensure_demo_captions(runtime: Runtime) -> int:
    """Approved English captions on every released demo copy that has none; how many
    released copies have approved captions afterwards."""
    with runtime.db.session(read_only=True) as session:
        copies = list(
            session.execute(
                select(Recording.id, Recording.duration_s)
                .join(Release, Release.derived_recording_id == Recording.id)
                .where(Release.public.is_(True))
                .distinct()
            )
        )
    return sum(caption_copy(runtime, recording_id, duration) for recording_id, duration in copies)


def caption_copy(runtime: Runtime, recording_id: int, duration: float | None = None) -> bool:
    """Approved English captions on one copy, unless it has a track already; whether its
    captions are ready for release afterwards (the release policy requires them)."""
    if service.get_track(runtime, recording_id) is None:
        limit = duration if duration else 4.0
        cues = [Cue(a, min(b, limit), text) for a, b, text in CUES if a < limit]
        cues = service.drop_muted(cues, service.muted_ranges(runtime, recording_id))
        now = utcnow()
        version = service.save_version(
            runtime,
            recording_id,
            cues,
            actor=ACTOR,
            source="staff",
            now=now,
            note="Written by the records custodian: the clip has no speech (demo).",
        )
        service.approve(runtime, recording_id, version=version.version, actor=ACTOR, now=now)
    return service.readiness(runtime, recording_id) is None

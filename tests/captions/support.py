"""Recordings with real sound for the captions tests, and a redacted copy whose plan mutes
stretches of its sound."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from sunlight.captions.vtt import Cue
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Recording
from sunlight.media.synth import make_clip
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.redaction.plan import AudioMute, Plan
from sunlight.runtime import Runtime


def clip_recording(runtime: Runtime, folder: Path, *, seconds: float = 4.0, seed: int = 0) -> int:
    """A real clip (picture and a tone with a gap every second), ingested."""
    folder.mkdir(parents=True, exist_ok=True)
    clip = make_clip(folder / f"clip-{seed}.mp4", seconds=seconds, seed=seed)
    result = ingest_file(
        runtime, clip, IngestMetadata(original_filename=clip.name), actor="test", source="cli"
    )
    return result.recording_id


def redacted_copy(
    runtime: Runtime, folder: Path, mutes: list[tuple[float, float]], *, seconds: float = 4.0
) -> tuple[int, int]:
    """(original, redacted copy): the copy is the finished render of a plan that mutes
    ``mutes`` (the plan is stored, as a real render job leaves it)."""
    original = clip_recording(runtime, folder, seconds=seconds, seed=1)
    derived = clip_recording(runtime, folder, seconds=seconds, seed=2)
    with runtime.db.session() as session:
        rec = session.get(Recording, original)
        assert rec is not None
        plan = Plan(
            recording_sha256=rec.sha256,
            width=rec.width or 320,
            height=rec.height or 240,
            fps=rec.fps or 15.0,
            frame_count=int(seconds * 15),
            audio_mutes=[AudioMute(a, b) for a, b in mutes],
        )
    stored = runtime.store.put_stream(io.BytesIO(plan.canonical()))
    with runtime.db.session() as session:
        row = RedactionPlan(
            recording_id=original,
            version=1,
            sha256=stored.sha256,
            source="review",
            created_by="test:redactor",
            mute_count=len(mutes),
        )
        session.add(row)
        session.flush()
        session.add(
            RedactionJob(
                key=f"render:{stored.sha256}:{original}",
                kind="render",
                recording_id=original,
                plan_id=row.id,
                status="done",
                progress=1.0,
                result_recording_id=derived,
                details={},
                created_by="test:redactor",
            )
        )
    return original, derived


@dataclass
class ProbeRecognizer:
    """A recogniser that keeps the sound it was given and 'hears' a cue every second
    (an implementation of the interface, to see what the pipeline feeds it and keeps)."""

    name: str = "probe"
    heard: list[bytes] = field(default_factory=list)

    def transcribe(self, pcm: bytes) -> list[Cue]:
        self.heard.append(pcm)
        seconds = int(len(pcm) / 32000)
        return [Cue(float(s), s + 0.9, f"second {s}") for s in range(seconds)]

"""Caption tracks: versions saved by staff (typed, imported or drafted from speech),
approval for release, and what the public may read.

Rules:
- Versions only get added; each holds its cues and the SHA-256 of their WebVTT text.
- Every version is checked: cues in order, not overlapping, within the recording, and
  never over a stretch of sound the redaction plan muted. Released captions must not say
  what the redacted copy silenced: a typed or imported cue over a muted range is refused,
  and a draft from speech never hears those stretches (they are zeroed before the
  recogniser runs) and drops any cue that touches one.
- Approval names the version approved (the newest: staff approve what they see); the
  public sees only the approved version, and only once its release is published.
- Every save and approval is a custody event on the recording.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight import errors
from sunlight.access.principal import Principal
from sunlight.captions import readiness as captions_readiness
from sunlight.captions.models import CaptionJob, CaptionTrack, CaptionVersion
from sunlight.captions.recognize import Recognizer, SpeechError, load_recognizer, max_seconds
from sunlight.captions.vtt import (
    CaptionError,
    Cue,
    TranscriptLine,
    check_cues,
    format_time,
    to_vtt,
    transcript,
)
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.models import Recording
from sunlight.media.errors import MediaError
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.redaction.plan import PlanError, load_plan
from sunlight.release.proof import published
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)

DRAFT_TASK = "sunlight.captions.draft"
SYSTEM_ACTOR = Principal.system("captions").id
SOURCES = ("staff", "import", "recogniser")
#: Languages the packaged recogniser drafts in.
DRAFT_LANGUAGES = ("en",)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


class NotFound(CaptionError, errors.NotFound):
    pass


@dataclass(frozen=True)
class VersionView:
    id: int
    recording_id: int
    language: str
    version: int
    cues: list[Cue]
    vtt_sha256: str
    source: str
    note: str | None
    created_by: str
    created_at: datetime

    @property
    def vtt(self) -> str:
        return to_vtt(self.cues)


@dataclass(frozen=True)
class TrackView:
    id: int
    recording_id: int
    language: str
    status: str  # draft | approved
    latest_version: int
    approved_version: int | None
    approved_by: str | None
    approved_at: datetime | None
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: CaptionTrack) -> TrackView:
        return cls(
            row.id,
            row.recording_id,
            row.language,
            row.status,
            row.latest_version,
            row.approved_version,
            row.approved_by,
            row.approved_at,
            row.created_by,
            row.created_at,
        )


def check_language(language: str) -> str:
    if not _LANGUAGE.match(language):
        raise CaptionError(f"language: {language!r} is not a language tag such as 'en' or 'es'")
    return language


def vtt_sha256(cues: list[Cue]) -> str:
    return hashlib.sha256(to_vtt(cues).encode("utf-8")).hexdigest()


def _recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    return recording


def _cues(row: CaptionVersion) -> list[Cue]:
    return [Cue(float(c["start_s"]), float(c["end_s"]), str(c["text"])) for c in row.cues]


def _version_view(track: CaptionTrack, row: CaptionVersion) -> VersionView:
    return VersionView(
        row.id,
        track.recording_id,
        track.language,
        row.version,
        _cues(row),
        row.vtt_sha256,
        row.source,
        row.note,
        row.created_by,
        row.created_at,
    )


# --- muted sound -------------------------------------------------------------------------


def muted_ranges(runtime: Runtime, recording_id: int) -> list[tuple[float, float]]:
    """The stretches (seconds) whose sound the redaction plan muted, when the recording is
    a redacted copy; none for anything else. A plan that cannot be read fails closed."""
    with runtime.db.session(read_only=True) as session:
        plans = session.execute(
            select(RedactionPlan.id, RedactionPlan.sha256, RedactionPlan.mute_count)
            .join(RedactionJob, RedactionJob.plan_id == RedactionPlan.id)
            .where(
                RedactionJob.result_recording_id == recording_id,
                RedactionJob.kind == "render",
            )
        ).all()
    ranges: list[tuple[float, float]] = []
    for plan_id, sha256, mute_count in plans:
        if not mute_count:
            continue
        try:
            plan = load_plan(b"".join(runtime.store.iter_range(sha256)))
        except (PlanError, errors.NotFound, OSError) as exc:
            raise CaptionError(
                f"the redaction plan {plan_id} of recording {recording_id} cannot be read, so "
                f"its muted sound is unknown: {exc}"
            ) from exc
        ranges.extend((m.start_s, m.end_s) for m in plan.audio_mutes)
    return sorted(ranges)


def _touches(cue: Cue, ranges: list[tuple[float, float]]) -> tuple[float, float] | None:
    for start, end in ranges:
        if cue.start_s < end and start < cue.end_s:
            return start, end
    return None


def drop_muted(cues: list[Cue], ranges: list[tuple[float, float]]) -> list[Cue]:
    """The cues that touch no muted stretch."""
    return [c for c in cues if _touches(c, ranges) is None]


def refuse_muted(cues: list[Cue], ranges: list[tuple[float, float]]) -> None:
    for n, cue in enumerate(cues, start=1):
        hit = _touches(cue, ranges)
        if hit is not None:
            raise CaptionError(
                f"cue {n} ({format_time(cue.start_s)}) overlaps sound muted by redaction "
                f"({format_time(hit[0])} to {format_time(hit[1])}): captions may not say "
                "what the released copy silences"
            )


# --- versions ----------------------------------------------------------------------------


def save_version(
    runtime: Runtime,
    recording_id: int,
    cues: list[Cue],
    *,
    language: str = "en",
    actor: str,
    source: str,
    now: datetime,
    note: str | None = None,
) -> VersionView:
    """Check ``cues`` and store them as the track's next version (a draft)."""
    check_language(language)
    if source not in SOURCES:
        raise CaptionError(f"source: one of {SOURCES}")
    with runtime.db.session(read_only=True) as session:
        duration = _recording(session, recording_id).duration_s
    checked = check_cues(cues, duration_s=duration)
    refuse_muted(checked, muted_ranges(runtime, recording_id))
    digest = vtt_sha256(checked)
    with runtime.db.session() as session:
        _recording(session, recording_id)
        track = session.scalar(
            select(CaptionTrack).where(
                CaptionTrack.recording_id == recording_id, CaptionTrack.language == language
            )
        )
        created = track is None
        if track is None:
            track = CaptionTrack(
                recording_id=recording_id,
                language=language,
                status="draft",
                latest_version=0,
                created_by=actor,
                created_at=now,
            )
            session.add(track)
            session.flush()
        track.latest_version += 1
        track.status = "draft"
        row = CaptionVersion(
            track_id=track.id,
            version=track.latest_version,
            cues=[c.to_dict() for c in checked],
            cue_count=len(checked),
            vtt_sha256=digest,
            source=source,
            note=note,
            created_by=actor,
            created_at=now,
        )
        session.add(row)
        session.flush()
        record(
            session,
            actor=actor,
            action=Action.CAPTION_CREATE if created else Action.CAPTION_EDIT,
            object_type="recording",
            object_id=recording_id,
            reason=note[:500] if note else None,
            at=now,
            details={
                "track_id": track.id,
                "caption_version_id": row.id,
                "language": language,
                "version": row.version,
                "vtt_sha256": digest,
                "cues": len(checked),
                "source": source,
            },
        )
        return _version_view(track, row)


def _track(session: Session, recording_id: int, language: str) -> CaptionTrack:
    track = session.scalar(
        select(CaptionTrack).where(
            CaptionTrack.recording_id == recording_id, CaptionTrack.language == language
        )
    )
    if track is None:
        raise NotFound(f"recording {recording_id} has no {language} captions")
    return track


def get_track(runtime: Runtime, recording_id: int, language: str = "en") -> TrackView | None:
    with runtime.db.session(read_only=True) as session:
        try:
            return TrackView.of(_track(session, recording_id, language))
        except NotFound:
            return None


def tracks_for(runtime: Runtime, recording_id: int) -> list[TrackView]:
    with runtime.db.session(read_only=True) as session:
        rows = session.scalars(
            select(CaptionTrack)
            .where(CaptionTrack.recording_id == recording_id)
            .order_by(CaptionTrack.language)
        )
        return [TrackView.of(r) for r in rows]


def get_version(
    runtime: Runtime, recording_id: int, language: str = "en", version: int | None = None
) -> VersionView:
    """One version of a track (the newest when ``version`` is None)."""
    with runtime.db.session(read_only=True) as session:
        track = _track(session, recording_id, language)
        number = track.latest_version if version is None else version
        row = session.scalar(
            select(CaptionVersion).where(
                CaptionVersion.track_id == track.id, CaptionVersion.version == number
            )
        )
        if row is None:
            raise NotFound(f"no version {number} of the {language} captions")
        return _version_view(track, row)


def list_versions(runtime: Runtime, recording_id: int, language: str = "en") -> list[VersionView]:
    with runtime.db.session(read_only=True) as session:
        track = _track(session, recording_id, language)
        rows = session.scalars(
            select(CaptionVersion)
            .where(CaptionVersion.track_id == track.id)
            .order_by(CaptionVersion.version.desc())
        )
        return [_version_view(track, r) for r in rows]


def approve(
    runtime: Runtime,
    recording_id: int,
    *,
    version: int,
    actor: str,
    now: datetime,
    language: str = "en",
) -> TrackView:
    """Approve ``version`` (it must be the newest) for release."""
    current = get_version(runtime, recording_id, language, version)
    refuse_muted(current.cues, muted_ranges(runtime, recording_id))
    with runtime.db.session() as session:
        track = _track(session, recording_id, language)
        if track.latest_version != version:
            raise errors.Conflict(
                f"version {version} is not the newest ({track.latest_version}): "
                "approve what you last saw"
            )
        if track.approved_version == version:
            return TrackView.of(track)
        track.status = "approved"
        track.approved_version = version
        track.approved_by = actor
        track.approved_at = now
        record(
            session,
            actor=actor,
            action=Action.CAPTION_APPROVE,
            object_type="recording",
            object_id=recording_id,
            at=now,
            details={
                "track_id": track.id,
                "caption_version_id": current.id,
                "language": language,
                "version": version,
                "vtt_sha256": current.vtt_sha256,
            },
        )
        return TrackView.of(track)


def approved_in(session: Session, recording_id: int, language: str = "en") -> VersionView | None:
    """The version approved for release, if any, read in ``session`` (one statement).

    Raises:
        NotFound: the track names an approved version that is not stored.
    """
    row = session.execute(
        select(CaptionTrack, CaptionVersion)
        .outerjoin(
            CaptionVersion,
            (CaptionVersion.track_id == CaptionTrack.id)
            & (CaptionVersion.version == CaptionTrack.approved_version),
        )
        .where(CaptionTrack.recording_id == recording_id, CaptionTrack.language == language)
    ).one_or_none()
    if row is None or row[0].approved_version is None:
        return None
    track, version = row
    if version is None:
        raise NotFound(f"no version {track.approved_version} of the {language} captions")
    return _version_view(track, version)


def approved(runtime: Runtime, recording_id: int, language: str = "en") -> VersionView | None:
    """The version approved for release, if any."""
    with runtime.db.session(read_only=True) as session:
        return approved_in(session, recording_id, language)


def readiness(runtime: Runtime, recording_id: int, language: str = "en") -> str | None:
    """Why a copy is not ready for release as far as captions go (None: it is)."""
    with runtime.db.session(read_only=True) as session:
        return captions_readiness.missing(session, recording_id, language)


def released(runtime: Runtime, release_id: int, language: str = "en") -> VersionView:
    """The approved captions of a published release's copy; NotFound for anything else
    (an unknown, embargoed or withheld release, or captions not approved)."""
    release, _ = published(runtime, release_id)
    found = approved(runtime, release.derived_recording_id, language)
    if found is None:
        raise NotFound(f"no captions for release {release_id}")
    return found


@dataclass(frozen=True)
class PublicCaptions:
    """What the public sees of a released copy's captions: no names (not who wrote or
    approved them), only the text, its times and the approved version's hash."""

    release_id: int
    language: str
    version: int
    vtt_sha256: str
    vtt: str
    lines: list[TranscriptLine]


def _public(release_id: int, found: VersionView) -> PublicCaptions:
    return PublicCaptions(
        release_id,
        found.language,
        found.version,
        found.vtt_sha256,
        found.vtt,
        transcript(found.cues),
    )


def public_captions(runtime: Runtime, release_id: int, language: str = "en") -> PublicCaptions:
    """The approved captions of a published release (NotFound otherwise)."""
    return _public(release_id, released(runtime, release_id, language))


def public_captions_in(
    session: Session, release_id: int, recording_id: int, language: str = "en"
) -> PublicCaptions | None:
    """For a release page that has already found release ``release_id`` published, with
    ``recording_id`` its released copy: the approved captions, else None (read in
    ``session``)."""
    try:
        found = approved_in(session, recording_id, language)
    except errors.NotFound:
        return None
    return None if found is None else _public(release_id, found)


# --- drafts from speech ------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    id: int
    recording_id: int
    language: str
    status: str
    progress: float
    error: str | None
    result_version_id: int | None
    details: dict[str, Any]

    @classmethod
    def of(cls, job: CaptionJob) -> JobView:
        return cls(
            job.id,
            job.recording_id,
            job.language,
            job.status,
            job.progress,
            job.error,
            job.result_version_id,
            dict(job.details or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def request_draft(
    runtime: Runtime,
    recording_id: int,
    *,
    actor: str,
    language: str = "en",
    recognizer: Recognizer | None = None,
    enqueue: bool = True,
) -> JobView:
    """Ask for a draft from speech (a background job; one per recording bytes, language
    and recogniser: asking again returns the same job, a failed one is retried)."""
    if language not in DRAFT_LANGUAGES:
        raise CaptionError(f"drafts from speech are made in {', '.join(DRAFT_LANGUAGES)} only")
    name = (recognizer or load_recognizer()).name
    with runtime.db.session() as session:
        recording = _recording(session, recording_id)
        key = f"draft:{recording.sha256}:{language}:{name}"[:300]
        job = session.scalar(select(CaptionJob).where(CaptionJob.key == key))
        fresh = False
        if job is None:
            job = CaptionJob(
                key=key,
                recording_id=recording_id,
                language=language,
                status="queued",
                progress=0.0,
                details={"recogniser": name},
                created_by=actor,
            )
            session.add(job)
            fresh = True
        elif job.status == "failed":
            job.status, job.error, job.progress = "queued", None, 0.0
            fresh = True
        session.flush()
        job_id = job.id
    if fresh and enqueue:
        runtime.jobs.enqueue(DRAFT_TASK, job_id)
    return get_job(runtime, job_id)


def get_job(runtime: Runtime, job_id: int) -> JobView:
    with runtime.db.session(read_only=True) as session:
        job = session.get(CaptionJob, job_id)
        if job is None:
            raise NotFound(f"no caption job {job_id}")
        return JobView.of(job)


def jobs_for(runtime: Runtime, recording_id: int) -> list[JobView]:
    with runtime.db.session(read_only=True) as session:
        rows = session.scalars(
            select(CaptionJob)
            .where(CaptionJob.recording_id == recording_id)
            .order_by(CaptionJob.id.desc())
        )
        return [JobView.of(j) for j in rows]


def _set_job(runtime: Runtime, job_id: int, **values: Any) -> JobView:
    with runtime.db.session() as session:
        job = session.get(CaptionJob, job_id)
        assert job is not None
        for name, value in values.items():
            setattr(job, name, value)
        return JobView.of(job)


def _fail(runtime: Runtime, job_id: int, error: str, now: datetime) -> JobView:
    log.warning("caption job %s failed: %s", job_id, error)
    with runtime.db.session() as session:
        job = session.get(CaptionJob, job_id)
        assert job is not None
        job.status, job.error = "failed", error
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.CAPTION_EDIT,
            object_type="recording",
            object_id=job.recording_id,
            outcome=Outcome.FAILED,
            reason=error[:500],
            at=now,
            details={"caption_job_id": job_id, "language": job.language},
        )
        return JobView.of(job)


def transcribe_recording(
    runtime: Runtime,
    recording_id: int,
    recognizer: Recognizer,
    *,
    limit_s: float,
) -> tuple[list[Cue], int]:
    """Cues drafted from a recording's sound, muted stretches zeroed before recognition
    and any cue touching one dropped after. Returns the cues and how many were dropped."""
    from sunlight.media.pcm import BYTES_PER_SECOND, decode_pcm, silence_ranges

    with runtime.db.session(read_only=True) as session:
        recording = _recording(session, recording_id)
        sha, duration = recording.sha256, recording.duration_s
    mutes = muted_ranges(runtime, recording_id)
    if duration is not None and duration > limit_s:
        raise MediaError(
            f"the recording is {duration:.0f} s long; drafts are made for up to {limit_s:.0f} s "
            "(SUNLIGHT_SPEECH_MAX_S)"
        )
    runtime.settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
        path = runtime.store.local_path(sha)
        if path is None:
            path = Path(scratch) / "original"
            runtime.store.fetch_to(sha, path)
        pcm = decode_pcm(path, max_seconds=limit_s)
    pcm = silence_ranges(pcm, mutes)
    heard = recognizer.transcribe(pcm)
    sound_s = len(pcm) / BYTES_PER_SECOND
    within = [c for c in heard if 0 <= c.start_s < c.end_s <= sound_s + 0.05]
    kept = drop_muted(within, mutes)
    if duration is not None:
        kept = [c for c in kept if c.end_s <= duration + 0.5]
    return kept, len(heard) - len(kept)


def run_draft(
    runtime: Runtime,
    job_id: int,
    *,
    now: datetime,
    recognizer: Recognizer | None = None,
) -> JobView:
    """Run a draft job: transcribe, then save the cues as the track's next version."""
    with runtime.db.session() as session:
        job = session.get(CaptionJob, job_id)
        if job is None:
            raise NotFound(f"no caption job {job_id}")
        if job.status == "done":
            return JobView.of(job)
        job.status, job.error = "running", None
        recording_id, language = job.recording_id, job.language
    try:
        recognizer = recognizer or load_recognizer()
        cues, dropped = transcribe_recording(
            runtime, recording_id, recognizer, limit_s=max_seconds()
        )
        cues = check_cues(cues)
    except (MediaError, SpeechError, CaptionError) as exc:
        return _fail(runtime, job_id, str(exc), now)
    version = save_version(
        runtime,
        recording_id,
        cues,
        language=language,
        actor=SYSTEM_ACTOR,
        source="recogniser",
        now=now,
        note=f"draft from speech ({recognizer.name}); correct before approving",
    )
    return _set_job(
        runtime,
        job_id,
        status="done",
        progress=1.0,
        result_version_id=version.id,
        details={"recogniser": recognizer.name, "cues": len(cues), "dropped_muted": dropped},
    )


def reconcile(runtime: Runtime, *, stalled_after: timedelta = timedelta(minutes=30)) -> list[int]:
    """Re-enqueue drafts left queued (a lost enqueue) or stalled (a dead worker)."""
    from sunlight.db.base import utcnow

    cutoff = utcnow() - stalled_after
    with runtime.db.session(read_only=True) as session:
        ids = list(
            session.scalars(
                select(CaptionJob.id).where(
                    (CaptionJob.status == "queued")
                    | ((CaptionJob.status == "running") & (CaptionJob.updated_at < cutoff))
                )
            )
        )
    for job_id in ids:
        runtime.jobs.enqueue(DRAFT_TASK, job_id)
    return ids

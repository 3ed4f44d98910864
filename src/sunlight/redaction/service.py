"""Redaction operations: plans as versions, detection and render jobs, derived recordings.

Rules:
- A plan is stored as a content-addressed object and a row; versions only get added.
- Jobs are idempotent by key (same recording bytes or same plan, same tool version): asking
  twice returns the same job; a job that runs twice finds its result and stops.
- The original recording is only ever read. The redacted copy is ingested as a new
  recording (source "redaction") through the evidence ingest door, and custody events on
  both recordings tie them together with the plan's hash and the tool version.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sunlight import __version__, errors
from sunlight.access.principal import Principal
from sunlight.db.base import utcnow
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Recording
from sunlight.media.errors import MediaError
from sunlight.redaction.models import RedactionJob, RedactionPlan
from sunlight.redaction.plan import Plan, PlanError, load_plan
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)

TOOL_VERSION = f"sunlight-redaction {__version__} (centerface, plan schema 1)"
SYSTEM_ACTOR = Principal.system("redaction").id
DETECT_TASK = "sunlight.redaction.detect"
RENDER_TASK = "sunlight.redaction.render"


class RedactionError(errors.InvalidInput):
    """A request that cannot be carried out; the message says why."""


class NotFound(RedactionError, errors.NotFound):
    pass


@dataclass(frozen=True)
class PlanVersion:
    id: int
    recording_id: int
    version: int
    sha256: str
    source: str
    created_by: str
    created_at: str
    parent_id: int | None
    note: str | None
    track_count: int
    mute_count: int

    @classmethod
    def of(cls, row: RedactionPlan) -> PlanVersion:
        return cls(
            row.id,
            row.recording_id,
            row.version,
            row.sha256,
            row.source,
            row.created_by,
            row.created_at.isoformat(),
            row.parent_id,
            row.note,
            row.track_count,
            row.mute_count,
        )


def _recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"no recording {recording_id}")
    return recording


def cache_dir(runtime: Runtime) -> Path:
    """Where the detector keeps what outlives a process: the compiled networks and the
    backend the self-check chose (safe to delete; rebuilt on the next run)."""
    return runtime.settings.home / "cache" / "redaction"


def local_source(runtime: Runtime, sha256: str, scratch: Path) -> Path:
    """A readable path to the stored bytes (the store's own file when it has one)."""
    path = runtime.store.local_path(sha256)
    if path is None:
        path = scratch / "original"
        runtime.store.fetch_to(sha256, path)
    return path


# --- plans -------------------------------------------------------------------------------


def save_plan(
    runtime: Runtime,
    recording_id: int,
    plan: Plan,
    *,
    actor: str,
    source: str,
    parent_id: int | None = None,
    note: str | None = None,
) -> PlanVersion:
    """Store ``plan`` as the next version of the recording's plan."""
    with runtime.db.session() as session:
        recording = _recording(session, recording_id)
        if plan.recording_sha256 != recording.sha256:
            raise RedactionError("the plan is for a different recording (sha256 differs)")
        if (
            recording.width
            and recording.height
            and (plan.width, plan.height)
            != (
                recording.width,
                recording.height,
            )
        ):
            raise RedactionError(
                f"the plan is for {plan.width}x{plan.height}, "
                f"the recording is {recording.width}x{recording.height}"
            )
    data = plan.canonical()
    stored = runtime.store.put_stream(io.BytesIO(data))
    for _attempt in range(3):
        try:
            with runtime.db.session() as session:
                latest = session.scalar(
                    select(func.max(RedactionPlan.version)).where(
                        RedactionPlan.recording_id == recording_id
                    )
                )
                if parent_id is not None:
                    parent = session.get(RedactionPlan, parent_id)
                    if parent is None or parent.recording_id != recording_id:
                        raise RedactionError(f"no plan {parent_id} for this recording")
                row = RedactionPlan(
                    recording_id=recording_id,
                    version=(latest or 0) + 1,
                    sha256=stored.sha256,
                    parent_id=parent_id,
                    source=source,
                    created_by=actor,
                    note=note,
                    track_count=len(plan.tracks),
                    mute_count=len(plan.audio_mutes),
                )
                session.add(row)
                session.flush()
                record(
                    session,
                    actor=actor,
                    action=Action.REDACTION_PLAN,
                    object_type="recording",
                    object_id=recording_id,
                    reason=note,
                    details={
                        "plan_id": row.id,
                        "version": row.version,
                        "plan_sha256": stored.sha256,
                        "parent_plan_id": parent_id,
                        "source": source,
                        "tracks": len(plan.tracks),
                        "hidden_tracks": sum(not t.keep_visible for t in plan.tracks),
                        "audio_mutes": len(plan.audio_mutes),
                    },
                )
                return PlanVersion.of(row)
        except IntegrityError:
            continue  # someone else took this version number: take the next one
    raise RedactionError("could not save the plan (concurrent edits); try again")


def plan_versions(runtime: Runtime, recording_id: int) -> list[PlanVersion]:
    with runtime.db.session() as session:
        _recording(session, recording_id)
        rows = session.scalars(
            select(RedactionPlan)
            .where(RedactionPlan.recording_id == recording_id)
            .order_by(RedactionPlan.version)
        )
        return [PlanVersion.of(r) for r in rows]


def get_plan(runtime: Runtime, plan_id: int) -> tuple[PlanVersion, Plan]:
    with runtime.db.session() as session:
        row = session.get(RedactionPlan, plan_id)
        if row is None:
            raise NotFound(f"no redaction plan {plan_id}")
        version = PlanVersion.of(row)
    data = b"".join(runtime.store.iter_range(version.sha256))
    try:
        return version, load_plan(data)
    except PlanError as exc:  # stored plans were valid when saved; this is corruption
        raise RedactionError(f"stored plan {plan_id} is unreadable: {exc}") from exc


# --- jobs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobView:
    id: int
    kind: str
    status: str
    progress: float
    recording_id: int
    plan_id: int | None
    result_plan_id: int | None
    result_recording_id: int | None
    error: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, job: RedactionJob) -> JobView:
        return cls(
            job.id,
            job.kind,
            job.status,
            job.progress,
            job.recording_id,
            job.plan_id,
            job.result_plan_id,
            job.result_recording_id,
            job.error,
            dict(job.details or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _request(
    runtime: Runtime, *, key: str, kind: str, recording_id: int, plan_id: int | None, actor: str
) -> tuple[JobView, bool]:
    """Create (or find) the job for ``key``. Returns the job and whether to enqueue it."""
    with runtime.db.session() as session:
        job = session.scalar(select(RedactionJob).where(RedactionJob.key == key))
        if job is not None:
            if job.status == "failed":
                job.status, job.error, job.progress = "queued", None, 0.0
                return JobView.of(job), True
            return JobView.of(job), False
        job = RedactionJob(
            key=key,
            kind=kind,
            recording_id=recording_id,
            plan_id=plan_id,
            status="queued",
            progress=0.0,
            details={},
            created_by=actor,
        )
        session.add(job)
        session.flush()
        return JobView.of(job), True


def request_detection(
    runtime: Runtime, recording_id: int, *, actor: str, enqueue: bool = True
) -> JobView:
    """Ask for a detection run on a recording (idempotent per recording and tool version)."""
    with runtime.db.session() as session:
        recording = _recording(session, recording_id)
        if not recording.playable:
            raise RedactionError(
                f"recording {recording_id} is not playable ({recording.unplayable_reason}): "
                "there is no picture to redact"
            )
        sha = recording.sha256
    job, fresh = _request(
        runtime,
        key=f"detect:{sha}:{TOOL_VERSION}",
        kind="detect",
        recording_id=recording_id,
        plan_id=None,
        actor=actor,
    )
    if fresh and enqueue:
        runtime.jobs.enqueue(DETECT_TASK, job.id)
    return get_job(runtime, job.id)


def request_render(runtime: Runtime, plan_id: int, *, actor: str, enqueue: bool = True) -> JobView:
    """Ask for the redacted copy of a plan version (idempotent per plan and tool version)."""
    version, _plan = get_plan(runtime, plan_id)
    job, fresh = _request(
        runtime,
        key=f"render:{version.sha256}:{version.recording_id}:{TOOL_VERSION}",
        kind="render",
        recording_id=version.recording_id,
        plan_id=plan_id,
        actor=actor,
    )
    if fresh and enqueue:
        runtime.jobs.enqueue(RENDER_TASK, job.id)
    return get_job(runtime, job.id)


def get_job(runtime: Runtime, job_id: int) -> JobView:
    with runtime.db.session() as session:
        job = session.get(RedactionJob, job_id)
        if job is None:
            raise NotFound(f"no redaction job {job_id}")
        return JobView.of(job)


def jobs_for(runtime: Runtime, recording_id: int) -> list[JobView]:
    with runtime.db.session() as session:
        rows = session.scalars(
            select(RedactionJob)
            .where(RedactionJob.recording_id == recording_id)
            .order_by(RedactionJob.id.desc())
        )
        return [JobView.of(j) for j in rows]


class _Progress:
    """Write progress to the job row at most once a second (cheap, and visible in the UI)."""

    def __init__(self, runtime: Runtime, job_id: int, echo: Callable[[float], None] | None):
        self.runtime, self.job_id, self.echo = runtime, job_id, echo
        self._last = 0.0

    def __call__(self, fraction: float) -> None:
        if self.echo is not None:
            self.echo(fraction)
        now = time.monotonic()
        if now - self._last < 1.0 and fraction < 1.0:
            return
        self._last = now
        with self.runtime.db.session() as session:
            job = session.get(RedactionJob, self.job_id)
            if job is not None:
                job.progress = round(float(fraction), 4)


def _start(runtime: Runtime, job_id: int, kind: str) -> RedactionJob | None:
    """Mark a job running; None when it is already done (a redelivered message)."""
    with runtime.db.session() as session:
        job = session.get(RedactionJob, job_id)
        if job is None or job.kind != kind:
            raise NotFound(f"no {kind} job {job_id}")
        if job.status == "done":
            return None
        job.status, job.error = "running", None
        session.flush()
        session.expunge(job)
        return job


def _fail(runtime: Runtime, job_id: int, error: str) -> JobView:
    log.warning("redaction job %s failed: %s", job_id, error)
    with runtime.db.session() as session:
        job = session.get(RedactionJob, job_id)
        assert job is not None
        job.status, job.error = "failed", error
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.REDACT if job.kind == "render" else Action.REDACTION_PLAN,
            object_type="recording",
            object_id=job.recording_id,
            outcome=Outcome.FAILED,
            reason=error[:500],
            details={"job_id": job_id, "kind": job.kind, "tool_version": TOOL_VERSION},
        )
        return JobView.of(job)


def run_detection(
    runtime: Runtime, job_id: int, *, echo: Callable[[float], None] | None = None
) -> JobView:
    from sunlight.redaction.analyze import analyze
    from sunlight.redaction.detect import DetectorError, load_detector

    job = _start(runtime, job_id, "detect")
    if job is None:
        return get_job(runtime, job_id)
    with runtime.db.session() as session:
        sha = _recording(session, job.recording_id).sha256
    runtime.settings.work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
            source = local_source(runtime, sha, Path(scratch))
            detector = load_detector(cache_dir=cache_dir(runtime))
            plan = analyze(
                source,
                recording_sha256=sha,
                detector=detector,
                progress=_Progress(runtime, job_id, echo),
            )
    except (MediaError, DetectorError) as exc:
        return _fail(runtime, job_id, str(exc))
    version = save_plan(
        runtime,
        job.recording_id,
        plan,
        actor=SYSTEM_ACTOR,
        source="detector",
        note="automatic face detection; review before release",
    )
    with runtime.db.session() as session:
        row = session.get(RedactionJob, job_id)
        assert row is not None
        row.status, row.progress, row.result_plan_id = "done", 1.0, version.id
        row.details = {
            "plan_sha256": version.sha256,
            "tracks": version.track_count,
            "check_these": len(plan.review),
        }
        return JobView.of(row)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def run_render(
    runtime: Runtime, job_id: int, *, echo: Callable[[float], None] | None = None
) -> JobView:
    """Render a plan version into a new recording.

    The rendered copy's hash is written to the job row before the copy is ingested; the
    ingest, then the custody events and the job's completion (one transaction) follow.
    If the process dies between the ingest and the events, the next run of the job (a
    retry, the CLI again, or `reconcile`) finds the copy by that hash and finishes it
    without rendering again: a redacted copy never stays without its redaction events.
    """
    from sunlight.redaction.provenance import ProvenanceError, find_key, sign_redacted
    from sunlight.redaction.render import render

    job = _start(runtime, job_id, "render")
    if job is None:
        return get_job(runtime, job_id)
    assert job.plan_id is not None
    version, plan = get_plan(runtime, job.plan_id)
    finished = _finish_if_ingested(runtime, job_id)
    if finished is not None:
        return finished
    with runtime.db.session() as session:
        original = _recording(session, job.recording_id)
        sha, filename = original.sha256, original.original_filename
    runtime.settings.work_dir.mkdir(parents=True, exist_ok=True)
    statutes = _statutes(plan)
    try:
        with tempfile.TemporaryDirectory(dir=runtime.settings.work_dir) as scratch:
            work = Path(scratch)
            source = local_source(runtime, sha, work)
            rendered = work / "redacted.mp4"
            render(source, rendered, plan, progress=_Progress(runtime, job_id, echo))
            key = find_key(runtime.settings.home)
            c2pa_info: dict[str, Any] = {"signed": False, "why": "no department key configured"}
            final = rendered
            if key is not None:
                final = work / "redacted-signed.mp4"
                c2pa_info = sign_redacted(
                    source=rendered,
                    destination=final,
                    original=source,
                    original_sha256=sha,
                    plan_sha256=version.sha256,
                    statutes=statutes,
                    tool_version=TOOL_VERSION,
                    key=key,
                    title=f"{Path(filename).stem} (redacted, plan v{version.version})",
                )
            derived_sha = _file_sha256(final)
            with runtime.db.session() as session:
                row = session.get(RedactionJob, job_id)
                assert row is not None
                row.details = {"rendered_sha256": derived_sha, "c2pa": c2pa_info}
            stem = Path(filename).stem[:180]
            # The playback copy and thumbnails of the new recording are the derivative
            # job's work, queued by the ingest: they do not hold up this job.
            ingest_file(
                runtime,
                final,
                IngestMetadata(
                    original_filename=f"{stem}-redacted-v{version.version}.mp4",
                    title=f"Redacted copy of recording {job.recording_id}"
                    f" (plan v{version.version})",
                ),
                actor=SYSTEM_ACTOR,
                source="redaction",
                known_sha256=derived_sha,
                move=True,
            )
    except (MediaError, ProvenanceError, PlanError) as exc:
        return _fail(runtime, job_id, str(exc))
    finished = _finish_if_ingested(runtime, job_id)
    if finished is None:  # the ingest reported success, so the copy is there
        raise RedactionError(f"render job {job_id}: the redacted copy was not recorded")
    return finished


def _statutes(plan: Plan) -> list[str]:
    return sorted(
        {t.reason.statute for t in plan.tracks if not t.keep_visible}
        | {m.reason.statute for m in plan.audio_mutes}
    )


def _finish_if_ingested(runtime: Runtime, job_id: int) -> JobView | None:
    """Record the redaction events and complete a render job whose copy is already
    ingested (found by the hash the job row holds); None when there is no such copy.
    Events and completion commit together, so this runs at most once per job."""
    with runtime.db.session() as session:
        row = session.get(RedactionJob, job_id)
        assert row is not None
        if row.status == "done" and row.result_recording_id:
            return JobView.of(row)
        details = dict(row.details or {})
        derived_sha = details.get("rendered_sha256")
        if not isinstance(derived_sha, str) or row.plan_id is None:
            return None
        derived = session.scalar(select(Recording).where(Recording.sha256 == derived_sha))
        if derived is None:
            return None
        plan_row = session.get(RedactionPlan, row.plan_id)
        original = session.get(Recording, row.recording_id)
        assert plan_row is not None
        assert original is not None
        data = b"".join(runtime.store.iter_range(plan_row.sha256))
        statutes = _statutes(load_plan(data))
        c2pa_info = details.get("c2pa") or {"signed": False}
        provenance = {
            "parent_recording_id": row.recording_id,
            "parent_sha256": original.sha256,
            "plan_id": plan_row.id,
            "plan_version": plan_row.version,
            "plan_sha256": plan_row.sha256,
            "tool_version": TOOL_VERSION,
            "statutes": statutes,
            "c2pa": c2pa_info,
        }
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.REDACT,
            object_type="recording",
            object_id=derived.id,
            reason="redacted copy derived from recording "
            f"{row.recording_id} under " + ", ".join(statutes or ["RSMo 610.024"]),
            details={**provenance, "role": "derived", "sha256": derived.sha256},
        )
        record(
            session,
            actor=SYSTEM_ACTOR,
            action=Action.REDACT,
            object_type="recording",
            object_id=row.recording_id,
            details={
                **provenance,
                "role": "original",
                "derived_recording_id": derived.id,
                "derived_sha256": derived.sha256,
            },
        )
        row.status, row.progress, row.error = "done", 1.0, None
        row.result_recording_id = derived.id
        row.details = {"sha256": derived.sha256, "c2pa": c2pa_info, "at": utcnow().isoformat()}
        return JobView.of(row)


def reconcile(runtime: Runtime, *, stalled_after: timedelta = timedelta(minutes=10)) -> list[int]:
    """Re-enqueue lost work: queued jobs (the enqueue after commit can be lost in a
    crash) and running jobs whose progress stopped moving (the worker died). Jobs are
    idempotent, so enqueueing one that is in fact alive costs a duplicate run at most."""
    cutoff = utcnow() - stalled_after
    with runtime.db.session() as session:
        rows = list(
            session.scalars(
                select(RedactionJob).where(
                    (RedactionJob.status == "queued")
                    | ((RedactionJob.status == "running") & (RedactionJob.updated_at < cutoff))
                )
            )
        )
        pending = [(j.id, j.kind) for j in rows]
        # Render jobs whose copy was ingested but whose events were not written (the
        # process died in between), whatever their status says: finish them here.
        unfinished = [
            j.id
            for j in session.scalars(
                select(RedactionJob).where(
                    RedactionJob.kind == "render", RedactionJob.status != "done"
                )
            )
            if (j.details or {}).get("rendered_sha256")
        ]
    finished = [job_id for job_id in unfinished if _finish_if_ingested(runtime, job_id)]
    pending = [(job_id, kind) for job_id, kind in pending if job_id not in finished]
    for job_id, kind in pending:
        runtime.jobs.enqueue(DETECT_TASK if kind == "detect" else RENDER_TASK, job_id)
    return sorted(finished + [job_id for job_id, _ in pending])


def derived_from(runtime: Runtime, recording_id: int) -> list[dict[str, Any]]:
    """Redacted copies made from a recording (from finished render jobs)."""
    with runtime.db.session() as session:
        rows = session.scalars(
            select(RedactionJob).where(
                RedactionJob.recording_id == recording_id,
                RedactionJob.kind == "render",
                RedactionJob.status == "done",
            )
        )
        return [
            {"recording_id": j.result_recording_id, "plan_id": j.plan_id, **(j.details or {})}
            for j in rows
        ]

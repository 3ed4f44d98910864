"""Plans as versions, jobs, the derived recording, custody events and C2PA provenance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from sunlight.cli.main import cli
from sunlight.evidence.custody import Action, events_for
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Recording
from sunlight.redaction import service
from sunlight.redaction.plan import AudioMute, load_plan
from sunlight.redaction.provenance import make_test_chain, read_manifest
from sunlight.redaction.synthetic import GroundTruth
from sunlight.runtime import Runtime


def _ingest(runtime: Runtime, clip: Path) -> int:
    result = ingest_file(
        runtime, clip, IngestMetadata(original_filename="stop.mp4"), actor="test", source="cli"
    )
    return result.recording_id


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def recording(embedded_runtime: Runtime, faces_mp4: tuple[Path, GroundTruth]) -> int:
    return _ingest(embedded_runtime, faces_mp4[0])


def test_detection_makes_plan_version_one_and_is_idempotent(
    embedded_runtime: Runtime, recording: int
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.status == "done" and job.result_plan_id  # eager mode ran it inline
    again = service.request_detection(embedded_runtime, recording, actor="test")
    assert again.id == job.id
    assert service.run_detection(embedded_runtime, job.id).result_plan_id == job.result_plan_id
    versions = service.plan_versions(embedded_runtime, recording)
    assert [v.version for v in versions] == [1]
    version, plan = service.get_plan(embedded_runtime, versions[0].id)
    assert plan.sha256() == version.sha256
    assert len(plan.tracks) >= 2
    with embedded_runtime.db.session() as session:
        actions = [e.action for e in events_for(session, "recording", recording)]
    assert Action.REDACTION_PLAN in actions


def test_an_edited_plan_is_saved_as_a_new_version(
    embedded_runtime: Runtime, recording: int
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.result_plan_id is not None
    v1, plan = service.get_plan(embedded_runtime, job.result_plan_id)
    plan.tracks[0].keep_visible = True
    plan.audio_mutes.append(AudioMute(0.5, 1.0))
    v2 = service.save_plan(
        embedded_runtime, recording, plan, actor="clerk", source="review", parent_id=v1.id
    )
    assert (v2.version, v2.parent_id) == (2, v1.id)
    assert v2.sha256 != v1.sha256
    assert service.get_plan(embedded_runtime, v1.id)[1].tracks[0].keep_visible is False
    other = load_plan(plan.canonical())
    other.recording_sha256 = "f" * 64
    with pytest.raises(service.RedactionError, match="different recording"):
        service.save_plan(embedded_runtime, recording, other, actor="clerk", source="review")


def test_cli_renders_a_derived_recording_with_provenance(
    embedded_runtime: Runtime, recording: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = embedded_runtime.settings.home
    make_test_chain(home / "c2pa")
    with embedded_runtime.db.session() as session:
        original = session.get(Recording, recording)
        assert original is not None
        original_sha = original.sha256
    stored = embedded_runtime.store.local_path(original_sha)
    assert stored is not None
    before = stored.read_bytes()

    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    result = CliRunner().invoke(cli, ["redact", str(recording), "--render", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    derived_id, derived_sha = out["derived_recording"]["id"], out["derived_recording"]["sha256"]
    assert derived_id != recording and len(derived_sha) == 64
    assert out["derived_recording"]["c2pa_signed"] is True

    # The original is untouched: same bytes, same hash, same row.
    assert stored.read_bytes() == before and _sha(stored) == original_sha

    with embedded_runtime.db.session() as session:
        derived = session.get(Recording, derived_id)
        assert derived is not None
        assert derived.ingest_source == "redaction" and derived.sha256 == derived_sha
        events = events_for(session, "recording", derived_id)
        redact = [e for e in events if e.action == Action.REDACT]
        assert redact and redact[0].details["parent_sha256"] == original_sha
        assert redact[0].details["plan_sha256"] == out["plan"]["sha256"]
        assert redact[0].details["tool_version"] == service.TOOL_VERSION
        assert "RSMo 610.024" in (redact[0].reason or "")
        on_original = [
            e for e in events_for(session, "recording", recording) if e.action == Action.REDACT
        ]
        assert on_original[0].details["derived_sha256"] == derived_sha
        assert session.scalar(select(Recording).where(Recording.sha256 == original_sha))

    derived_path = embedded_runtime.store.local_path(derived_sha)
    assert derived_path is not None and _sha(derived_path) == derived_sha
    manifest = read_manifest(
        derived_path, trust_anchors_pem=(home / "c2pa" / "root.pem").read_text()
    )
    assert manifest["validation_state"] == "Trusted"
    active = manifest["manifests"][manifest["active_manifest"]]
    parent = [i for i in active["ingredients"] if i["relationship"] == "parentOf"]
    assert parent and original_sha in parent[0]["title"]
    actions = next(a for a in active["assertions"] if a["label"].startswith("c2pa.actions"))
    filtered = [a for a in actions["data"]["actions"] if a["action"] == "c2pa.filtered"]
    assert filtered[0]["parameters"]["sunlight.plan_sha256"] == out["plan"]["sha256"]

    # Asking again renders nothing new: same job, same derived recording.
    again = CliRunner().invoke(cli, ["redact", str(recording), "--render", "--json"])
    assert json.loads(again.stdout)["derived_recording"]["id"] == derived_id


def test_cli_saves_a_reviewed_plan_file(
    embedded_runtime: Runtime, recording: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.result_plan_id is not None
    _v, plan = service.get_plan(embedded_runtime, job.result_plan_id)
    plan.tracks = plan.tracks[:1]
    path = tmp_path / "reviewed.json"
    path.write_bytes(plan.canonical())
    monkeypatch.setenv("SUNLIGHT_HOME", str(embedded_runtime.settings.home))
    result = CliRunner().invoke(cli, ["redact", str(recording), "--plan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["plan"]["version"] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = CliRunner().invoke(cli, ["redact", str(recording), "--plan", str(bad)])
    assert result.exit_code != 0 and "schema" in result.output


def test_unplayable_recording_is_refused_with_a_reason(
    embedded_runtime: Runtime, tmp_path: Path
) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    recording_id = _ingest(embedded_runtime, junk)
    with pytest.raises(service.RedactionError, match="not playable"):
        service.request_detection(embedded_runtime, recording_id, actor="test")


def test_reconcile_re_enqueues_lost_and_stalled_jobs(
    embedded_runtime: Runtime, recording: int
) -> None:
    from datetime import timedelta

    from sunlight.db.base import utcnow
    from sunlight.redaction.models import RedactionJob

    job = service.request_detection(embedded_runtime, recording, actor="test", enqueue=False)
    assert job.status == "queued"  # as if the enqueue after commit had been lost
    with embedded_runtime.db.session() as session:
        row = session.get(RedactionJob, job.id)
        assert row is not None
        row.status = "running"  # ... and a worker had died mid-job long ago
        row.updated_at = utcnow() - timedelta(hours=1)
    assert service.reconcile(embedded_runtime) == [job.id]
    done = service.get_job(embedded_runtime, job.id)
    assert done.status == "done" and done.result_plan_id is not None  # eager: ran inline
    assert service.reconcile(embedded_runtime) == []


def test_a_render_that_dies_after_the_ingest_is_finished_by_reconcile(
    runtime: Runtime, faces_mp4: tuple[Path, GroundTruth], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8: a failure between the copy's ingest and its redaction events once left a
    redacted copy without its events. The job row holds the copy's hash first; whoever
    runs next (reconcile, a retry, the CLI again) finds the copy and finishes it."""
    from sunlight.redaction.models import RedactionJob

    recording = _ingest(runtime, faces_mp4[0])
    detected = service.request_detection(runtime, recording, actor="test")
    assert detected.result_plan_id is not None
    job = service.request_render(runtime, detected.result_plan_id, actor="test", enqueue=False)
    from sunlight.evidence.custody import record as real_record

    def crash(*args: object, **kwargs: object) -> None:
        if kwargs.get("action") == Action.REDACT:
            raise RuntimeError("killed between the ingest and the events")
        real_record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "record", crash)
    with pytest.raises(RuntimeError, match="killed"):
        service.run_render(runtime, job.id)
    monkeypatch.setattr(service, "record", real_record)

    with runtime.db.session() as session:
        row = session.get(RedactionJob, job.id)
        assert row is not None and row.status == "running"
        copy_sha = row.details["rendered_sha256"]
        copy = session.scalar(select(Recording).where(Recording.sha256 == copy_sha))
        assert copy is not None and copy.ingest_source == "redaction"
        copy_id = copy.id
        assert Action.REDACT not in [e.action for e in events_for(session, "recording", copy_id)]

    assert job.id in service.reconcile(runtime)
    done = service.get_job(runtime, job.id)
    assert (done.status, done.result_recording_id) == ("done", copy_id)
    with runtime.db.session() as session:
        on_copy = [
            e for e in events_for(session, "recording", copy_id) if e.action == Action.REDACT
        ]
        on_original = [
            e for e in events_for(session, "recording", recording) if e.action == Action.REDACT
        ]
    assert len(on_copy) == 1 and on_copy[0].details["plan_sha256"]
    assert len(on_original) == 1 and on_original[0].details["derived_sha256"] == copy_sha
    # Nothing is done twice: a second reconcile or run finds the job complete.
    assert job.id not in service.reconcile(runtime)
    assert service.run_render(runtime, job.id).result_recording_id == copy_id


def test_the_cli_leaves_the_copys_playback_files_to_the_background_queue(
    embedded_runtime: Runtime, recording: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sunlight.evidence.derivatives import make_derivatives

    monkeypatch.setenv("SUNLIGHT_HOME", str(embedded_runtime.settings.home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "thread")  # as configured for `serve`
    result = CliRunner().invoke(cli, ["redact", str(recording), "--render", "--json"])
    assert result.exit_code == 0, result.output
    derived_id = json.loads(result.stdout)["derived_recording"]["id"]
    with embedded_runtime.db.session() as session:
        derived = session.get(Recording, derived_id)
        assert derived is not None and derived.derivatives_status == "pending"
    # ... which the worker (here called directly) then makes.
    assert make_derivatives(embedded_runtime, derived_id) == "ready"


def test_a_detected_plan_lists_what_to_check_and_keeps_it_across_versions(
    embedded_runtime: Runtime, recording: int
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.result_plan_id is not None
    version, plan = service.get_plan(embedded_runtime, job.result_plan_id)
    assert job.details["check_these"] == len(plan.review)
    track_ids = {t.id for t in plan.tracks}
    assert all(r["track"] in track_ids for r in plan.review)
    saved = service.save_plan(
        embedded_runtime, recording, plan, actor="clerk", source="review", parent_id=version.id
    )
    assert service.get_plan(embedded_runtime, saved.id)[1].review == plan.review

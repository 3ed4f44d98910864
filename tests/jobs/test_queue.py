"""Background jobs on a real queue: the embedded SQLite broker with the in-process worker
thread, and Redis with a separate `sunlight worker` process. Plus the reconciler."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sunlight.config import Settings
from sunlight.evidence import service
from sunlight.evidence.derivatives import reconcile
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime, start
from tests.conftest import embedded_settings
from tests.support.services import REDIS_URL, port_open, unavailable


def wait_for_status(runtime: Runtime, recording_id: int, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with runtime.db.session() as session:
            status = service.get_recording(session, recording_id).derivatives_status
        if status != "pending":
            return status
        time.sleep(0.25)
    raise AssertionError("the job never ran")


def ingest_mkv(runtime: Runtime, folder: Path, seed: int) -> int:
    clip = folder / f"clip{seed}.mkv"
    make_clip(clip, seconds=1.0, container="mkv", seed=seed)
    return ingest_file(
        runtime, clip, IngestMetadata(original_filename=clip.name), actor="t", source="cli"
    ).recording_id


@pytest.fixture
def threaded(tmp_path: Path) -> Iterator[Runtime]:
    runtime = start(embedded_settings(tmp_path / "home", worker_mode="thread"))
    runtime.jobs.start_thread_worker()
    yield runtime
    runtime.close()


def test_embedded_worker_thread_runs_jobs_from_the_sqlite_queue(
    threaded: Runtime, tmp_path: Path
) -> None:
    rid = ingest_mkv(threaded, tmp_path, 1)
    assert wait_for_status(threaded, rid) == "ready"
    with threaded.db.session() as session:
        assert service.get_recording(session, rid).proxy_sha256 is not None


@pytest.mark.services
def test_redis_queue_with_a_separate_worker_process(tmp_path: Path) -> None:
    if not port_open(REDIS_URL, 6379):
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    settings: Settings = embedded_settings(
        tmp_path / "home", worker_mode="external", broker_url=REDIS_URL, result_backend=REDIS_URL
    )
    runtime = start(settings)
    env = {
        **os.environ,
        "SUNLIGHT_HOME": str(settings.home),
        "SUNLIGHT_WORKER_MODE": "external",
        "SUNLIGHT_BROKER_URL": REDIS_URL,
        "SUNLIGHT_RESULT_BACKEND": REDIS_URL,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "sunlight", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        rid = ingest_mkv(runtime, tmp_path, 2)
        assert wait_for_status(runtime, rid) == "ready"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        runtime.close()


def test_reconciler_requeues_work_a_crash_lost(
    embedded_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process dies between the commit and the enqueue: the job is never queued.
    monkeypatch.setattr(embedded_runtime.jobs, "enqueue", lambda *a, **k: None)
    rid = ingest_mkv(embedded_runtime, tmp_path, 3)
    monkeypatch.undo()
    with embedded_runtime.db.session() as session:
        assert service.get_recording(session, rid).derivatives_status == "pending"
    assert reconcile(embedded_runtime, older_than=timedelta(minutes=5)) == []  # too fresh
    assert reconcile(embedded_runtime, older_than=timedelta(0)) == [rid]
    with embedded_runtime.db.session() as session:
        assert service.get_recording(session, rid).derivatives_status == "ready"
    # idempotent: a second run of the job changes nothing
    from sunlight.evidence.derivatives import make_derivatives

    assert make_derivatives(embedded_runtime, rid) == "ready"

"""Kill the ingest process with SIGKILL at random moments; nothing acknowledged is lost and
no database row points at missing or wrong bytes."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sunlight.config import load_settings
from sunlight.evidence.models import Recording
from sunlight.media.synth import make_clip
from sunlight.runtime import start
from tests.support.services import IN_CI

CHILD = Path(__file__).with_name("crash_child.py")
ITERATIONS = 24 if IN_CI else 6


def make_inputs(folder: Path, rng: random.Random, tag: str) -> list[Path]:
    """Fresh bytes for one round: already-ingested files would be quick duplicates, and
    the kill would land after the child finished."""
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(3):
        clip = folder / f"clip-{tag}-{i}.mp4"
        make_clip(clip, seconds=1.0, width=160, height=120, seed=rng.randrange(1 << 30))
        files.append(clip)
    for i in range(3):
        blob = folder / f"blob-{tag}-{i}.bin"  # larger, unplayable: kills land mid-copy
        with open(blob, "wb") as fh:
            for _ in range(6):
                fh.write(rng.randbytes(1024 * 1024))
        files.append(blob)
    return files


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("SUNLIGHT_CRASH_SEED", "9162")))
    home = tmp_path / "home"
    files: list[Path] = []
    acknowledged: dict[str, int] = {}
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    kills = 0
    for round_number in range(ITERATIONS):
        fresh = make_inputs(tmp_path / "dock", rng, str(round_number))
        # New files plus a few seen before (some ingested, some cut off mid-write).
        order = fresh + rng.sample(files, min(3, len(files)))
        files.extend(fresh)
        rng.shuffle(order)
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(home), *map(str, order)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
        time.sleep(rng.uniform(0.0, 0.8))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        kills += proc.returncode == -signal.SIGKILL
        for line in out.splitlines():
            if line.startswith("ACK "):
                _, sha, rid = line.split()
                acknowledged[sha] = int(rid)
        check_consistent(home, acknowledged)
    assert kills >= ITERATIONS // 2, "the child finished before being killed too often"
    # A last, uninterrupted run ingests whatever is left, reusing what survived.
    done = subprocess.run(
        [sys.executable, str(CHILD), str(home), *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert done.stdout.strip().endswith("DONE")
    check_consistent(home, acknowledged)
    runtime = start(load_settings({"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}))
    with runtime.db.session() as session:
        assert len(session.scalars(select(Recording)).all()) == len(files)
    runtime.close()


def check_consistent(home: Path, acknowledged: dict[str, int]) -> None:
    db_path = home / "sunlight.db"
    if not db_path.exists():
        assert not acknowledged
        return
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    runtime = start(load_settings({"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}))
    try:
        with runtime.db.session() as session:
            rows = {r.sha256: r for r in session.scalars(select(Recording))}
            for sha, rid in acknowledged.items():
                assert sha in rows, f"acknowledged recording {rid} is missing"
                assert rows[sha].id == rid
            for sha, row in rows.items():
                assert runtime.store.verify(sha), f"row {row.id} points at wrong or missing bytes"
                assert runtime.store.size(sha) == row.size_bytes
                for derived in (row.poster_sha256, row.thumbs_sha256, row.proxy_sha256):
                    if derived:
                        assert runtime.store.verify(derived)
    finally:
        runtime.close()

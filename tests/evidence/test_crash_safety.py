"""Kill the ingest process with SIGKILL at random moments; nothing acknowledged is lost and
no database row points at missing or wrong bytes.

A fork server (crash_child.py) keeps the imports warm, so each round costs a fork and the
ingest itself: CI kills at least ``KILLS`` ingests per run (``CI=true``), a local run a
dozen. ``SUNLIGHT_CRASH_SEED`` picks another random schedule.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sunlight.config import load_settings
from sunlight.db.base import utcnow
from sunlight.evidence.models import Recording
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime, start
from sunlight.web.maintenance import reconcile_all
from sunlight.web.tus.config import TusConfig
from sunlight.web.tus.state import UploadInfo, data_path, lock_path, read_info, write_info
from sunlight.web.uploads import tus_config
from tests.support.services import IN_CI

CHILD = Path(__file__).with_name("crash_child.py")
KILLS = 100 if IN_CI else 12
MAX_ROUNDS = 3 * KILLS
MAX_KILL_DELAY_S = 0.3
LAST_RUN_FILES = 20  # files cut off earlier that the last, uninterrupted run ingests


class Inputs:
    """Fresh bytes for every round, cheaply: a few clips are made once and each round gets
    a copy with a few bytes changed (new hash, still playable), plus random blobs."""

    def __init__(self, folder: Path, rng: random.Random) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.rng = rng
        self.clips: list[bytes] = []
        for i in range(3):
            clip = folder / f"base-{i}.mp4"
            make_clip(clip, seconds=1.0, width=160, height=120, seed=rng.randrange(1 << 30))
            self.clips.append(clip.read_bytes())
            clip.unlink()

    def fresh(self, tag: str) -> Path:
        """A playable clip (probe, store, commit, then poster and thumbnails) or a larger,
        unplayable blob (kills land mid-copy), half and half."""
        if self.rng.random() < 0.5:
            base = bytearray(self.rng.choice(self.clips))
            at = self.rng.randrange(len(base) // 2, len(base) - 16)
            base[at : at + 8] = self.rng.randbytes(8)
            clip = self.folder / f"clip-{tag}.mp4"
            clip.write_bytes(base)
            return clip
        blob = self.folder / f"blob-{tag}.bin"
        blob.write_bytes(self.rng.randbytes(self.rng.randrange(1, 5) * 256 * 1024))
        return blob


class ForkServer:
    def __init__(self, home: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(home)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            text=True,
            encoding="utf-8",
        )
        assert self._line() == "READY"

    def _line(self) -> str:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the fork server died"
        return line.strip()

    def run(self, files: list[Path] | None, kill_after: float | None) -> tuple[int, list[str]]:
        """Ingest ``files`` (None: finish the staged uploads) in a forked worker killed after
        ``kill_after`` seconds; returns its exit status (-9 when killed) and what it printed."""
        assert self.proc.stdin is not None
        command: dict[str, object] = {"kill_after": kill_after}
        if files is None:
            command["uploads"] = True
        else:
            command["files"] = [str(f) for f in files]
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        lines = []
        while not (line := self._line()).startswith("EXIT "):
            lines.append(line)
        return int(line.split()[1]), lines

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@contextmanager
def fork_server(home: Path) -> Iterator[ForkServer]:
    server = ForkServer(home)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.close()


@pytest.mark.slow
def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("SUNLIGHT_CRASH_SEED", "9162")))
    home = tmp_path / "home"
    inputs = Inputs(tmp_path / "dock", rng)
    files: list[Path] = []
    acknowledged: dict[str, int] = {}
    checker = Checker(home)
    kills = rounds = kills_after_an_ack = 0
    in_runs = in_checks = 0.0
    started = time.perf_counter()
    with fork_server(home) as server:
        checker.open()
        while kills < KILLS and rounds < MAX_ROUNDS:
            rounds += 1
            fresh = inputs.fresh(str(rounds))
            # A new file plus a few seen before (some ingested, some cut off mid-write).
            order = [fresh, *rng.sample(files, min(2, len(files)))]
            files.append(fresh)
            rng.shuffle(order)
            t0 = time.perf_counter()
            status, lines = server.run(order, kill_after=rng.uniform(0.0, MAX_KILL_DELAY_S))
            t1 = time.perf_counter()
            in_runs += t1 - t0
            assert not [line for line in lines if line.startswith("ERROR")], lines
            kills += status == -9
            kills_after_an_ack += status == -9 and any(line.startswith("ACK ") for line in lines)
            for line in lines:
                if line.startswith("ACK "):
                    _, sha, rid = line.split()
                    acknowledged[sha] = int(rid)
            checker.check(acknowledged)
            in_checks += time.perf_counter() - t1
        assert kills >= KILLS, f"only {kills} of {rounds} rounds were cut off by the kill"
        # A last, uninterrupted run ingests whatever is left, reusing what survived (and
        # presents a few acknowledged files again: duplicates).
        left = [f for f in files if sha256_of(f) not in acknowledged]
        done = [f for f in files if f not in left]
        last = rng.sample(left, min(LAST_RUN_FILES, len(left))) + rng.sample(
            done, min(5, len(done))
        )
        t0 = time.perf_counter()
        status, lines = server.run(last, kill_after=None)
        final_run = time.perf_counter() - t0
        assert (status, lines[-1]) == (0, "DONE"), lines
    for line in lines:
        if line.startswith("ACK "):
            _, sha, rid = line.split()
            assert acknowledged.setdefault(sha, int(rid)) == int(rid)
    assert {sha256_of(f) for f in last} <= set(acknowledged)
    checker.check(acknowledged)
    checker.close()
    elapsed = time.perf_counter() - started
    print(
        f"\n{kills} kills ({kills_after_an_ack} after an acknowledged commit) in {rounds} rounds, "
        f"{len(files)} files ({len(left)} not acknowledged "
        f"before the last run), {elapsed:.1f} s "
        f"(killed runs {in_runs:.1f} s, checks {in_checks:.1f} s, final run {final_run:.1f} s)"
    )


def sha256_of(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


class Checker:
    """Checks the invariants after each round, re-hashing each object only once (objects
    are write-once, so one that verified stays verified)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.runtime: Runtime | None = None
        self.verified: set[str] = set()

    def open(self) -> None:
        settings = load_settings({"SUNLIGHT_HOME": str(self.home), "SUNLIGHT_WORKER_MODE": "eager"})
        self.runtime = start(settings, migrate=False)

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()

    def _verify(self, sha: str, size: int | None = None) -> None:
        assert self.runtime is not None
        if sha in self.verified:
            return
        assert self.runtime.store.verify(sha), f"{sha} is missing or holds wrong bytes"
        if size is not None:
            assert self.runtime.store.size(sha) == size
        self.verified.add(sha)

    def check(self, acknowledged: dict[str, int]) -> None:
        conn = sqlite3.connect(self.home / "sunlight.db")
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        finally:
            conn.close()
        assert self.runtime is not None
        with self.runtime.db.session() as session:
            rows = {r.sha256: r for r in session.scalars(select(Recording))}
            for sha, rid in acknowledged.items():
                assert sha in rows, f"acknowledged recording {rid} is missing"
                assert rows[sha].id == rid
            for sha, row in rows.items():
                self._verify(sha, row.size_bytes)
                for derived in (row.poster_sha256, row.thumbs_sha256, row.proxy_sha256):
                    if derived:
                        self._verify(derived)


UPLOAD_KILLS = 25 if IN_CI else 5


def stage_upload(config: TusConfig, source: Path) -> str:
    """Leave ``source`` as the tus layer does once every byte is in and the completion
    failed: data, lock and info files, offset at the length."""
    upload_id = secrets.token_hex(16)
    lock_path(config, upload_id).touch()
    shutil.copyfile(source, data_path(config, upload_id))
    size = source.stat().st_size
    now = time.time()
    info = UploadInfo(
        upload_id=upload_id,
        length=size,
        offset=size,
        metadata_raw="",
        metadata={"filename": source.name},
        created=now,
        expires=now + config.expiry.total_seconds(),
    )
    write_info(config, info)
    return upload_id


@pytest.mark.slow
def test_sigkill_while_recording_received_uploads_loses_nothing(tmp_path: Path) -> None:
    """Kill the completion of fully received uploads (link into the store, commit, save
    the result, remove the staged copy) at random points: every upload is either recorded
    with its result saved, or still staged with all its bytes; a last run records all."""
    rng = random.Random(int(os.environ.get("SUNLIGHT_CRASH_SEED", "9162")) + 1)
    home = tmp_path / "home"
    inputs = Inputs(tmp_path / "dock", rng)
    uploads: dict[str, str] = {}  # upload id -> sha256 of its bytes
    checker = Checker(home)
    kills = rounds = recorded_before_last_run = 0
    with fork_server(home) as server:
        checker.open()
        assert checker.runtime is not None
        config = tus_config(checker.runtime)
        while kills < UPLOAD_KILLS and rounds < 3 * UPLOAD_KILLS:
            rounds += 1
            for n in range(2):
                source = inputs.fresh(f"{rounds}-{n}")
                uploads[stage_upload(config, source)] = sha256_of(source)
            status, lines = server.run(None, kill_after=rng.uniform(0.0, MAX_KILL_DELAY_S))
            assert not [line for line in lines if line.startswith("ERROR")], lines
            kills += status == -9
            recorded_before_last_run = len(check_uploads(checker, config, uploads))
        assert kills >= UPLOAD_KILLS
        status, lines = server.run(None, kill_after=None)
        assert (status, lines[-1]) == (0, "DONE"), lines
    recorded = check_uploads(checker, config, uploads)
    assert recorded == set(uploads)
    print(
        f"\n{kills} kills in {rounds} rounds; {recorded_before_last_run} of {len(uploads)} "
        "uploads recorded by the killed runs, the rest by the last run"
    )
    assert checker.runtime is not None
    # A kill inside a playback job (poster stored, row not yet updated) leaves bytes that
    # the reconciler's re-run refers to again (derivatives are deterministic): none is left.
    report = reconcile_all(checker.runtime, now=utcnow(), idle_for=timedelta(0))
    assert report.orphans == [] and report.uploads_failed == []
    checker.close()


def check_uploads(checker: Checker, config: TusConfig, uploads: dict[str, str]) -> set[str]:
    assert checker.runtime is not None
    acknowledged: dict[str, int] = {}
    recorded = set()
    for upload_id, sha in uploads.items():
        info = read_info(config, upload_id)
        assert info is not None, f"upload {upload_id} vanished"
        if info.completed:  # what the client is told: the recording holds these bytes
            acknowledged[sha] = int(info.result["Sunlight-Recording-Id"])
            recorded.add(upload_id)
        else:  # not recorded yet: every byte still staged, intact
            staged = data_path(config, upload_id)
            assert staged.stat().st_size == info.length
            assert sha256_of(staged) == sha
            assert info.sha256 in (None, sha)
    checker.check(acknowledged)
    return recorded

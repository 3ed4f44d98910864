"""Writers at the same time, through the real server, on both back ends.

Web requests (tus uploads, metadata edits, streaming with its access record), the
in-process jobs and CLI commands run against one database at once. Every request must
succeed or answer a retryable 503, never another 5xx, and every change must land whole.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from sunlight.evidence.custody import Action, events_for
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.evidence.models import Recording
from sunlight.jobs.schedule import Periodic, Schedule
from sunlight.ledger.checkpoints import seal_and_checkpoint
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime
from sunlight.web.maintenance import server_schedule
from sunlight.web.security import COOKIE
from tests.support.auth import make_session
from tests.support.cli import cli_env
from tests.support.server import live_server

TUS = {"Tus-Resumable": "1.0.0"}
UPLOADERS, ROUNDS = 8, 3
EDITORS, EDITS = 4, 50
VIEWERS, VIEWS = 10, 6
NO_ANSWER = 599


class Tally:
    """Every HTTP status seen, per kind of request (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[tuple[str, int]] = Counter()
        self.errors: list[str] = []

    def add(self, kind: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
        """Send one request; a dropped connection counts as status 599 (no answer)."""
        try:
            response = send()
        except httpx.TransportError as exc:
            with self._lock:
                self.counts[(kind, NO_ANSWER)] += 1
                self.errors.append(f"{kind}: no answer ({exc!r})")
            return None
        with self._lock:
            self.counts[(kind, response.status_code)] += 1
            if response.status_code >= 500:
                self.errors.append(f"{kind} {response.status_code}: {response.text[:300]}")
        return response

    def server_errors(self) -> int:
        return sum(n for (_, status), n in self.counts.items() if status >= 500)

    def total(self) -> int:
        return sum(self.counts.values())


def tus_upload(client: httpx.Client, tally: Tally, data: bytes, name: str) -> str | None:
    """A tus 1.0 client: create, then two checksummed PATCHes. Returns the sha256 header."""
    meta = "filename " + base64.b64encode(name.encode()).decode()
    created = tally.add(
        "tus-create",
        lambda: client.post(
            "/api/uploads",
            headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
        ),
    )
    if created is None or created.status_code != 201:
        return None
    url = created.headers["location"]
    half = len(data) // 2
    sha256: str | None = None
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        sent = tally.add("tus-patch", partial(patch_chunk, client, url, offset, chunk))
        if sent is None or sent.status_code != 204:
            return None
        sha256 = sent.headers.get("sunlight-sha256")
    return sha256


def patch_chunk(client: httpx.Client, url: str, offset: int, chunk: bytes) -> httpx.Response:
    digest = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
    return client.patch(
        url,
        content=chunk,
        headers={
            **TUS,
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": f"sha256 {digest}",
        },
    )


def sunlight_cli(runtime: Runtime, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sunlight", *args],
        env=cli_env(runtime),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=180,
        check=False,
    )


def test_writers_at_once_never_answer_500(
    runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clip = tmp_path / "clip.mp4"
    make_clip(clip, seconds=1.0, width=160, height=120, fps=10, audio=False)
    clip_id = ingest_file(
        runtime, clip, IngestMetadata(original_filename=clip.name), actor="t", source="cli"
    ).recording_id
    clip_bytes = clip.read_bytes()

    folder = tmp_path / "ingest"
    folder.mkdir()
    cli_files = []
    for n in range(3):
        path = folder / f"cli-{n}.bin"
        path.write_bytes(os.urandom(50_000))
        cli_files.append(path)

    uploads = [[os.urandom(120_000) for _ in range(UPLOADERS)] for _ in range(ROUNDS)]
    tally = Tally()
    acknowledged: list[str | None] = []

    # What `serve` runs beside the web app (sealing, reconcile, upload sweep, retention),
    # plus a second sealer every half second.
    schedule = server_schedule(runtime)
    schedule.add(Periodic("fast-sealer", 0.5, lambda: seal_and_checkpoint(runtime)))
    signed = make_session(runtime)
    with live_server(runtime) as base, running(schedule):

        def client() -> httpx.Client:
            return httpx.Client(
                base_url=base,
                timeout=120,
                cookies={COOKIE: signed.raw_token},
                headers={
                    "X-CSRF-Token": signed.csrf_token,
                    "Origin": base,
                    "Sunlight-Reason": "other: concurrency test",
                },
            )

        def upload_rounds() -> None:
            with ThreadPoolExecutor(UPLOADERS) as pool:
                for number, batch in enumerate(uploads):

                    def one(i: int, data: bytes, number: int = number) -> str | None:
                        with client() as c:
                            return tus_upload(c, tally, data, f"r{number}-{i}.bin")

                    acknowledged.extend(pool.map(one, range(UPLOADERS), batch))

        def edit(editor: int) -> None:
            with client() as c:
                for n in range(EDITS):
                    body = {"title": f"editor {editor} edit {n}", "reason": "concurrency test"}
                    tally.add(
                        "metadata",
                        lambda: c.patch(f"/api/recordings/{clip_id}", json=body),  # noqa: B023
                    )

        def view(viewer: int) -> None:
            with client() as c:
                for n in range(VIEWS):
                    start = (viewer * 997 + n * 131) % (len(clip_bytes) - 100)
                    got = tally.add(
                        "stream",
                        lambda: c.get(
                            f"/api/recordings/{clip_id}/original",
                            headers={"Range": f"bytes={start}-{start + 99}"},  # noqa: B023
                        ),
                    )
                    if got is not None and got.status_code == 206:
                        assert got.content == clip_bytes[start : start + 100]

        jobs: list[Callable[[], object]] = [
            upload_rounds,
            lambda: sunlight_cli(runtime, "redact", str(clip_id), "--render", "--json"),
            lambda: sunlight_cli(runtime, "ingest", *map(str, cli_files), "--json"),
            lambda: sunlight_cli(runtime, "ledger", "seal", "--json"),
            lambda: sunlight_cli(runtime, "retention", "run", "--dry-run", "--json"),
            *[lambda e=e: edit(e) for e in range(EDITORS)],
            *[lambda v=v: view(v) for v in range(VIEWERS)],
        ]
        started = time.monotonic()
        with ThreadPoolExecutor(len(jobs)) as pool:
            futures: list[Future[tuple[object, float]]] = [pool.submit(timed, j) for j in jobs]
            timings = [f.result() for f in futures]
        results = [result for result, _ in timings]
    print(f"\nall at once: {time.monotonic() - started:.1f} s; each: {[t for _, t in timings]}")

    commands = results[1:5]
    assert all(isinstance(c, subprocess.CompletedProcess) for c in commands)
    redacted, ingested = commands[0], commands[1]
    assert isinstance(redacted, subprocess.CompletedProcess)
    assert isinstance(ingested, subprocess.CompletedProcess)
    print(f"{runtime.db.dialect}: {tally.server_errors()} of {tally.total()} answered >= 500")
    print(sorted(tally.counts.items()))
    assert tally.server_errors() == 0, tally.errors[:5]
    assert tally.total() >= ROUNDS * UPLOADERS * 3 + EDITORS * EDITS + VIEWERS * VIEWS
    for command in commands:
        assert isinstance(command, subprocess.CompletedProcess)
        assert command.returncode == 0, (command.args[3:5], command.stderr[-2000:])
    failed = [
        r.getMessage()
        for r in caplog.records
        if r.name == "sunlight.jobs.schedule" and r.levelno >= logging.ERROR
    ]
    assert failed == []  # the sealers and the rest of the schedule never failed

    expected = {hashlib.sha256(d).hexdigest() for batch in uploads for d in batch}
    assert set(acknowledged) == expected  # every upload answered 204 with its own sha256
    cli_hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in cli_files}
    derived = json.loads(redacted.stdout)["derived_recording"]
    with runtime.db.session() as session:
        stored = set(session.scalars(select(Recording.sha256)))
        title = session.scalar(select(Recording.title).where(Recording.id == clip_id))
        copy_events = [e.action for e in events_for(session, "recording", derived["id"])]
        clip_events = [e.action for e in events_for(session, "recording", clip_id)]
    assert expected | cli_hashes | {derived["sha256"]} <= stored
    assert title is not None and title.endswith(f"edit {EDITS - 1}")
    assert tally.counts[("metadata", 200)] == EDITORS * EDITS
    assert str(Action.REDACT) in copy_events  # the redacted copy carries its event
    # Ten players at once, one viewer (the local administrator), one access record.
    assert clip_events.count(str(Action.STREAM)) == 1


def timed(job: Callable[[], object]) -> tuple[object, float]:
    started = time.monotonic()
    result = job()
    return result, round(time.monotonic() - started, 1)


@contextmanager
def running(schedule: Schedule) -> Iterator[None]:
    schedule.start()
    try:
        yield
    finally:
        schedule.stop()

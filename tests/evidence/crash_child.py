"""Child process for the crash test: a fork server that runs ingests and kills them.

Run as ``python crash_child.py HOME``. It imports everything and migrates the database once,
prints ``READY``, then reads one JSON command per line from stdin::

    {"files": [...], "kill_after": 0.3}      (kill_after null: let it finish)
    {"uploads": true, "kill_after": 0.3}     (record the fully received staged uploads)

For each command it forks a worker that ingests the files one by one,
writing ``ACK <sha256> <recording id>`` after each commit (only then is a file
acknowledged), and ``DONE`` at the end. Unless the worker is finished first, this process
SIGKILLs it ``kill_after`` seconds after the worker's runtime has started, then writes ``EXIT <status>``
(``EXIT -9`` for a kill). Forking from a warm parent makes each round cost milliseconds of
start-up instead of seconds of imports, so the test can afford a hundred kills; killing
from here, the worker's parent, means a finished worker's pid can never be reused and hit.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
from pathlib import Path

from sunlight.config import load_settings
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.runtime import Runtime, start
from sunlight.web.uploads import finish_staged_uploads


def _say(line: str) -> None:
    os.write(1, (line + "\n").encode())  # one write per line: never interleaved or buffered


def _work(runtime: Runtime, files: list[str] | None, started: int) -> None:
    # The parent's pooled connections are not ours to use (SQLAlchemy's rule after a fork);
    # its warm mappers and statement cache are, which is the point of forking.
    runtime.db.engine.dispose(close=False)
    os.write(started, b"s")  # the kill clock starts now: kills land in ingest, not start-up
    if files is None:  # what `sunlight reconcile` does with uploads whose completion failed
        for finished in finish_staged_uploads(runtime):
            _say(f"UPLOAD {finished.upload_id} {finished.result}")
        _say("DONE")
        return
    for name in files:
        path = Path(name)
        result = ingest_file(
            runtime,
            path,
            IngestMetadata(original_filename=path.name),
            actor="test:crash",
            source="cli",
        )
        # Only now, after the commit, is the file acknowledged.
        _say(f"ACK {result.sha256} {result.recording_id}")
    _say("DONE")


def _run(runtime: Runtime, files: list[str] | None, kill_after: float | None) -> int:
    sys.stdout.flush()
    started_r, started_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        os.close(started_r)
        try:
            _work(runtime, files, started_w)
        except BaseException as exc:  # reported, never raised into the fork server's loop
            _say(f"ERROR {type(exc).__name__}: {exc}")
            code = 1
        os._exit(code)
    os.close(started_w)
    pidfd = os.pidfd_open(pid)
    try:
        select.select([started_r, pidfd], [], [])  # started, or already dead
        ready, _, _ = select.select([pidfd], [], [], kill_after)
        if not ready:
            os.kill(pid, signal.SIGKILL)
    finally:
        os.close(pidfd)
        os.close(started_r)
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _warm_up(runtime: Runtime, home: Path) -> None:
    """Do once, before any fork, what every worker's first ingest would otherwise pay for
    (job modules, mapper configuration, statement compilation): one real ingest of a few
    random bytes. Its recording is checked like any other."""
    assert runtime.jobs.app.tasks
    import celery.app.trace  # noqa: F401  (imported on a first job run otherwise)

    sample = home / "warm-up.bin"
    sample.write_bytes(os.urandom(4096))
    ingest_file(
        runtime, sample, IngestMetadata(original_filename=sample.name), actor="test", source="cli"
    )
    sample.unlink()
    finish_staged_uploads(runtime)
    runtime.db.engine.dispose()  # no connection crosses the fork


def main() -> None:
    home = sys.argv[1]
    settings = load_settings({"SUNLIGHT_HOME": home, "SUNLIGHT_WORKER_MODE": "eager"})
    runtime = start(settings)
    _warm_up(runtime, Path(home))
    _say("READY")
    for line in sys.stdin:
        command = json.loads(line)
        files = None if command.get("uploads") else list(command["files"])
        status = _run(runtime, files, command.get("kill_after"))
        _say(f"EXIT {status}")


if __name__ == "__main__":
    main()

"""What the benchmarks that start a real server share: a free port, the server itself
(``sunlight serve``, one process as deployed, or ``--workers N`` uvicorn worker processes
over the same app), waiting for it to answer, percentiles, the load average, and ``wrk``
runs (a load tool in C, so the load tool costs the server little CPU).

Imported by ``bench/portal_bench.py`` and ``bench/scale_bench.py`` (each puts this folder on
``sys.path`` first, so either also loads when imported by file path, as the smoke tests do).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WRK = shutil.which("wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (nearest rank) of ``values``, in their unit; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def portal_app() -> Any:
    """The web app over the environment's data (``uvicorn --factory`` with ``--workers``):
    what ``sunlight serve`` serves, without its background schedule (sealing, retention)."""
    from sunlight.runtime import start
    from sunlight.web.app import create_app

    return create_app(start(migrate=False), start_worker=False)


def start_server(
    env: dict[str, str], workdir: Path, *, probe: str, workers: int = 1
) -> tuple[subprocess.Popen[bytes], int]:
    """The server on 127.0.0.1, once ``probe`` answers: ``sunlight serve`` (one process,
    as deployed) or, for ``workers`` > 1, uvicorn's worker processes over the same app."""
    port = free_port()
    if workers > 1:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "_serve:portal_app",
            "--app-dir",
            str(Path(__file__).resolve().parent),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ]
    else:
        command = [
            sys.executable,
            "-m",
            "sunlight",
            "serve",
            "--no-retention",
            "--port",
            str(port),
        ]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / "serve.log").open("wb"),
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=30):
                return proc, port
        except Exception:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: see {workdir / 'serve.log'}") from None
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("the server did not answer within 300 s")


@dataclass
class WrkResult:
    requests: int
    errors: int
    seconds: float
    bytes: int
    #: latency percentiles in seconds: 0.50, 0.95, 0.99
    p50: float
    p95: float
    p99: float


#: wrk's script: each connection walks the path list from its own place; done() prints
#: the counts and percentiles as one JSON line.
_SCRIPT = """
local paths = {%s}
local n = 0
init = function(args) n = math.random(#paths) end
request = function()
  n = n %% #paths + 1
  return wrk.format("GET", paths[n])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK-JSON {"requests": %%d, "errors": %%d, "us": %%d, "bytes": %%d, '
    .. '"p50": %%d, "p95": %%d, "p99": %%d}\\n',
    summary.requests, e.connect + e.read + e.write + e.status + e.timeout,
    summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk(
    port: int, paths: Sequence[str], *, clients: int, duration: float, threads: int = 2
) -> WrkResult:
    """``wrk`` with ``clients`` keep-alive connections for ``duration`` seconds over
    ``paths`` (each connection cycles through them); non-2xx/3xx answers count as errors."""
    assert WRK is not None, "wrk is not installed"
    listed = ", ".join(json.dumps(p) for p in paths)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_SCRIPT % listed)
    try:
        out = subprocess.run(
            [
                WRK,
                "-t",
                str(max(1, min(threads, clients))),
                "-c",
                str(clients),
                "-d",
                f"{max(1, round(duration))}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(x for x in out.splitlines() if x.startswith("WRK-JSON "))
    got = json.loads(line.removeprefix("WRK-JSON "))
    return WrkResult(
        requests=got["requests"],
        errors=got["errors"],
        seconds=got["us"] / 1e6,
        bytes=got["bytes"],
        p50=got["p50"] / 1e6,
        p95=got["p95"] / 1e6,
        p99=got["p99"] / 1e6,
    )


def _tree_cpu_s(root: int) -> float:
    """CPU seconds (user + system) used so far by ``root`` and its descendants (Linux)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        ticks[pid] = int(fields[11]) + int(fields[12])
    tree, grown = {root}, True
    while grown:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grown = bool(found)
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def wait_until_idle(pid: int, *, busy_below: float = 0.1, most_s: float = 180.0) -> float:
    """Wait until the server (``pid`` and its children) uses under ``busy_below`` of a core
    over a second: its start-up work (the scheduled sweeps, the statistics' first count) is
    done, so the first measured row does not share the cores with it. The seconds waited."""
    started = time.monotonic()
    if not Path(f"/proc/{pid}/stat").exists():
        return 0.0
    before = _tree_cpu_s(pid)
    while time.monotonic() - started < most_s:
        time.sleep(1.0)
        now = _tree_cpu_s(pid)
        if now - before < busy_below:
            break
        before = now
    return time.monotonic() - started

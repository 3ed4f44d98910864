"""Public-portal load benchmark: latency of the portal's pages at 100 concurrent clients.

    uv run python bench/portal_bench.py [--clients 100] [--duration 10] [--workers 1]
        [--tool auto|wrk|python] [--keep] [--quick]

It fills a PostgreSQL database (``sunlight_portal_bench``; ``--keep`` reuses it when it is
already filled, migrated to the newest schema, and leaves it behind) with 10,000 published
releases (each with its incident, case, timeline, released copy and the copy's ingest event,
sealed into the custody log) and 100,000 records requests (a third still open), straight
into the tables with COPY (not the filing path). It then starts the real server on
127.0.0.1 (``sunlight serve``, one process, as deployed; ``--workers N``: N uvicorn worker
processes over the same app, ``bench/_serve.py``), waits until the server's start-up work
(its scheduled sweeps, the statistics' first count) is done (under a tenth of a core for a
second, at most 3 minutes; before 2026-12-05 the baseline row shared the cores with it, and
was the slowest row), and, for each path group in turn, runs
``--clients`` concurrent keep-alive clients for ``--duration`` seconds: with ``wrk`` (a load
tool in C; the default when installed) or a small asyncio HTTP/1.1 client (``--tool
python``). A static file served by the same server (``/static/public.css``) is the baseline
row. Last it times one full download of each open-data list.

It prints a markdown table: path, requests, errors, p50, p95, p99 (ms), req/s, and beside
each row the static file's p50 and p95 and the row's p95 over the static p95 (on a shared
machine the absolute numbers say more about the machine than about the portal; the ratio
is what the portal adds), the 1-minute load average when the row ended, and how long the
group's first request took alone (before the warm-up: a cold cache is paid there). The load
average is printed before the run, when the load began and after. Target: public pages p95
< 100 ms at 100 clients. ``--quick``: 300 releases, 3,000 requests, 20 clients, 3 s per path
(a smoke run). For a per-request SQL profile of the same paths see ``bench/portal_profile.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import (  # bench/_serve.py
    WRK,
    WrkResult,
    load,
    pct,
    start_server,
    wait_until_idle,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get(
    "SUNLIGHT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "sunlight_portal_bench"
TYPES = ["use-of-force", "officer-involved-shooting", "arrest", "traffic-stop", "homicide"]
OPEN = ["received", "acknowledged", "in-progress", "clarification-requested"]
CLOSED = ["fulfilled", "partially-fulfilled", "denied", "withdrawn"]
NOW = datetime.now(UTC).replace(microsecond=0)
POLICY_SHA = "0" * 64


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# -- the synthetic portal -------------------------------------------------------------


def _sha(kind: str, n: int) -> str:
    return f"{kind}{n:063d}"[-64:].replace(" ", "0")


def _released_at(i: int, n: int) -> datetime:
    """Releases spread over the last two years, release 1 the oldest."""
    return NOW - timedelta(days=730) + timedelta(seconds=int(i * 730 * 86400 / max(1, n)))


def tables(releases: int, requests: int) -> list[tuple[str, list[str], Iterator[tuple[Any, ...]]]]:
    def incidents() -> Iterator[tuple[Any, ...]]:
        for i in range(1, releases + 1):
            started = _released_at(i, releases) - timedelta(days=30 + i % 60, hours=i % 24)
            yield (
                i,
                f"BENCH-{i:08d}",
                TYPES[i % len(TYPES)],
                started,
                started + timedelta(minutes=40),
                "cad",
                "inactive",
                "closed",
                started.date(),
                started,
            )

    def recordings() -> Iterator[tuple[Any, ...]]:
        for i in range(1, releases + 1):
            for kind, rid in (("o", 2 * i - 1), ("d", 2 * i)):
                at = _released_at(i, releases) - timedelta(days=3 if kind == "d" else 29)
                yield (
                    rid,
                    _sha(kind, i),
                    1000 + i,
                    f"{'BWC' if kind == 'o' else 'release'}-{i:06d}.mp4",
                    at,
                    "cli",
                    True,
                    True,
                    "{}",
                    "none",
                )

    def events() -> Iterator[tuple[Any, ...]]:
        """The released copies' ingest events (what a release page's badge looks up)."""
        for i in range(1, releases + 1):
            at = _released_at(i, releases) - timedelta(days=3)
            details = {"sha256": _sha("d", i), "size": 1000}
            yield (
                i,
                at,
                "system:ingest",
                "ingest",
                "recording",
                str(2 * i),
                "success",
                json.dumps(details),
            )

    def cases() -> Iterator[tuple[Any, ...]]:
        for i in range(1, releases + 1):
            opened = _released_at(i, releases) - timedelta(days=20)
            yield (i, i, "released", "bench", 1, POLICY_SHA, opened, "system:bench")

    def transitions() -> Iterator[tuple[Any, ...]]:
        n = 0
        for i in range(1, releases + 1):
            at = _released_at(i, releases)
            steps = [
                (None, "closed", at - timedelta(days=20)),
                ("closed", "in-review", at - timedelta(days=12)),
                ("in-review", "ready", at - timedelta(days=4)),
                ("ready", "released", at),
            ]
            for before, after, when in steps:
                n += 1
                yield (n, i, before, after, when, "system:bench", "bench", 1, POLICY_SHA)

    def release_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(1, releases + 1):
            at = _released_at(i, releases)
            public = i % 50 != 0  # a few withheld from the public list
            yield (i, i, i, 2 * i, 2 * i - 1, at, "mshp", at, at, public, "bench", 1, POLICY_SHA)

    def request_rows() -> Iterator[tuple[Any, ...]]:
        start = NOW - timedelta(days=730)
        for i in range(1, requests + 1):
            at = start + timedelta(seconds=int(i * 730 * 86400 / max(1, requests)))
            status = OPEN[i % len(OPEN)] if i % 3 == 0 else CLOSED[i % len(CLOSED)]
            yield (
                i,
                f"B{at:%y}-{i:07d}",
                _sha("t", i),
                f"Requester {i}",
                f"requester{i}@example.org",
                ["public", "media", "attorney", "depicted"][i % 4],
                f"Footage of incident {i}",
                at,
                at.date(),
                status,
                at,
                at,
                "{}",
                False,
                "web",
            )

    return [
        (
            "incidents",
            [
                "id",
                "cad_number",
                "type",
                "started_at",
                "ended_at",
                "source",
                "investigation_status",
                "inactive_reason",
                "status_date",
                "created_at",
            ],
            incidents(),
        ),
        (
            "recordings",
            [
                "id",
                "sha256",
                "size_bytes",
                "original_filename",
                "ingested_at",
                "ingest_source",
                "playable",
                "browser_playable",
                "media_info",
                "derivatives_status",
            ],
            recordings(),
        ),
        (
            "custody_events",
            [
                "id",
                "occurred_at",
                "actor",
                "action",
                "object_type",
                "object_id",
                "outcome",
                "details",
            ],
            events(),
        ),
        (
            "release_cases",
            [
                "id",
                "incident_id",
                "state",
                "rule_id",
                "policy_version",
                "policy_sha256",
                "opened_at",
                "opened_by",
            ],
            cases(),
        ),
        (
            "release_transitions",
            [
                "id",
                "case_id",
                "from_state",
                "to_state",
                "at",
                "actor",
                "rule_id",
                "policy_version",
                "policy_sha256",
            ],
            transitions(),
        ),
        (
            "releases",
            [
                "id",
                "case_id",
                "candidate_id",
                "derived_recording_id",
                "original_recording_id",
                "decided_at",
                "decided_by",
                "scheduled_for",
                "released_at",
                "public",
                "rule_id",
                "policy_version",
                "policy_sha256",
            ],
            release_rows(),
        ),
        (
            "records_requests",
            [
                "id",
                "tracking_number",
                "token_sha256",
                "requester_name",
                "requester_email",
                "requester_type",
                "description",
                "received_at",
                "received_date",
                "status",
                "status_at",
                "clock_from",
                "fee_details",
                "prepayment_required",
                "source",
            ],
            request_rows(),
        ),
    ]


def _env(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    env.update(
        SUNLIGHT_HOME=str(home),
        SUNLIGHT_DATABASE_URL=database_url,
        SUNLIGHT_STORAGE_URL=f"file://{home / 'objects'}",
        SUNLIGHT_WORKER_MODE="thread",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def _filled(database_url: str, releases: int, requests: int) -> bool:
    import psycopg

    try:
        with psycopg.connect(database_url) as conn:
            got = conn.execute(
                "SELECT (SELECT count(*) FROM releases), (SELECT count(*) FROM records_requests)"
            ).fetchone()
    except psycopg.Error:
        return False
    return got == (releases, requests)


def _upgrade(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "sunlight", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


def prepare(args: argparse.Namespace, home: Path) -> tuple[str, dict[str, str]]:
    """The filled database (made afresh unless ``--keep`` finds it filled to size)."""
    import psycopg

    name = f"{DATABASE}_{args.releases}_{args.requests}"
    database_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    env = _env(home, database_url)
    if (
        args.keep
        and (home / "keys").is_dir()
        and _filled(database_url, args.releases, args.requests)
    ):
        log(f"reusing {name} (migrated to the newest schema)")
        _upgrade(env)
        return database_url, env
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    log(f"migrating {name}")
    _upgrade(env)
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        # The synthetic releases have no redaction candidate, job or plan behind them:
        # foreign-key triggers are off for this session only (superuser, bench data).
        conn.execute("SET session_replication_role = replica")
        with conn.cursor() as cursor:
            for table, columns, rows in tables(args.releases, args.requests):
                count = 0
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
                log(f"  {table}: {count} rows")
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")  # fresh statistics and visibility (index-only scans)
    log(f"filled in {time.perf_counter() - started:.1f} s; sealing the custody log")
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from sunlight.ledger.checkpoints import seal_and_checkpoint;"
            "from sunlight.runtime import start; seal_and_checkpoint(start())",
        ],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    log(f"sealed in {time.perf_counter() - started:.1f} s")
    return database_url, env


# -- the load client ------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection (Content-Length and chunked bodies)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes); reconnects once if the server closed the connection."""
        for attempt in (1, 2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            assert self.reader is not None
            try:
                request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n"
                self.writer.write(request.encode())
                return await self._answer(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def _answer(self, reader: asyncio.StreamReader) -> tuple[int, int]:
        status = int((await reader.readuntil(b"\r\n")).split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
            key, _, value = line.partition(b":")
            headers[key.strip().lower()] = value.strip()
        size = 0
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            while (chunk := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)) > 0:
                await reader.readexactly(chunk + 2)
                size += chunk
            while await reader.readuntil(b"\r\n") != b"\r\n":
                pass
        else:
            size = int(headers.get(b"content-length", b"0"))
            await reader.readexactly(size)
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, size

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(ConnectionError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


@dataclass
class Row:
    label: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    bytes: int = 0
    #: wrk's own counts and percentiles (it keeps no list of latencies)
    measured: WrkResult | None = None
    #: the 1-minute load average when the row's run ended
    load: str = ""
    #: seconds the group's first request took, alone (a cold cache, or none)
    first: float = float("nan")

    @property
    def count(self) -> int:
        return self.measured.requests if self.measured is not None else len(self.latencies)

    def ms(self, q: float) -> float:
        """The ``q`` latency quantile (0.50, 0.95 or 0.99 with wrk) in milliseconds."""
        if self.measured is not None:
            found = {0.50: self.measured.p50, 0.95: self.measured.p95, 0.99: self.measured.p99}
            return found[q] * 1000
        return pct(self.latencies, q) * 1000


async def run_group(
    port: int, label: str, paths: Callable[[random.Random], str], clients: int, duration: float
) -> Row:
    row = Row(label)
    stop = time.monotonic() + duration

    async def client(seed: int) -> None:
        pick = random.Random(seed)
        conn = Connection(port)
        try:
            while time.monotonic() < stop:
                path = paths(pick)
                started = time.perf_counter()
                try:
                    status, size = await conn.get(path)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status, size = 0, 0
                    await conn.close()
                row.latencies.append(time.perf_counter() - started)
                row.bytes += size
                if status != 200:
                    row.errors += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(n) for n in range(clients)))
    row.seconds = time.perf_counter() - started
    return row


def groups(releases: int, requests: int) -> list[tuple[str, Callable[[random.Random], str]]]:
    pages = max(1, releases // 20)
    newest = NOW.date()

    def public_id(r: random.Random) -> int:
        found = r.randrange(1, releases + 1)
        return found - 1 if found % 50 == 0 else found  # every 50th is not public

    def filtered(r: random.Random) -> str:
        kind = r.choice(TYPES)
        start = newest - timedelta(days=r.randrange(30, 700))
        end = start + timedelta(days=r.randrange(10, 120))
        choice = r.randrange(3)
        if choice == 0:
            return f"/public/releases?type={kind}&page={r.randrange(1, 20)}"
        if choice == 1:
            return f"/public/releases?from={start}&to={end}"
        return f"/public/releases?type={kind}&from={start}"

    return [
        ("/static/public.css (baseline)", lambda r: "/static/public.css"),
        ("/public", lambda r: "/public"),
        ("/public/releases", lambda r: "/public/releases"),
        ("/public/releases?page=N", lambda r: f"/public/releases?page={r.randrange(1, pages + 1)}"),
        ("/public/releases?type=…&from=…&to=…", filtered),
        ("/public/releases/{id}", lambda r: f"/public/releases/{public_id(r)}"),
        # after a news event every visitor opens the same release page
        ("/public/releases/{id} (one, popular)", lambda r: f"/public/releases/{releases - 1}"),
        ("/public/requests", lambda r: "/public/requests"),
        ("/public/stats", lambda r: "/public/stats"),
        (
            "/public/requests?before_id=N",
            lambda r: f"/public/requests?before_id={r.randrange(min(51, requests), requests + 1)}",
        ),
        (
            "/api/public/data/releases.json?limit=100",
            lambda r: "/api/public/data/releases.json?limit=100",
        ),
    ]


def run_wrk(
    port: int, label: str, paths: Callable[[random.Random], str], clients: int, duration: float
) -> Row:
    """The group with ``wrk``: its connections cycle through 5,000 paths drawn in advance."""
    pick = random.Random(label)
    drawn = [paths(pick) for _ in range(5000)]
    found = wrk(port, drawn, clients=clients, duration=duration)
    return Row(label, [], found.errors, found.seconds, found.bytes, found)


async def _download(port: int, path: str) -> tuple[int, int, float]:
    conn = Connection(port)
    started = time.perf_counter()
    try:
        status, size = await conn.get(path)
    finally:
        await conn.close()
    return status, size, time.perf_counter() - started


def table(rows: list[Row]) -> str:
    """The rows, with each one's p50 and p95 beside the static file's (the first row): what
    the server costs on this machine, under this load, for a file it only copies."""
    base = rows[0] if rows else None
    lines = [
        "| path | requests | errors | p50 ms | p95 ms | p99 ms | req/s "
        "| static p50 ms | static p95 ms | p95 / static p95 | load (1 min) | first ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        static50 = base.ms(0.50) if base is not None else float("nan")
        static95 = base.ms(0.95) if base is not None else float("nan")
        ratio = row.ms(0.95) / static95 if static95 else float("nan")
        lines.append(
            f"| {row.label} | {row.count} | {row.errors} | "
            f"{row.ms(0.50):.1f} | {row.ms(0.95):.1f} | {row.ms(0.99):.1f} | "
            f"{row.count / max(row.seconds, 1e-9):.1f} | {static50:.1f} | {static95:.1f} | "
            f"{ratio:.2f} | {row.load} | {row.first * 1000:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per path group")
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument(
        "--tool",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="the load tool: wrk (when installed, the default) or the asyncio client",
    )
    parser.add_argument("--keep", action="store_true", help="reuse a filled database; keep it")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few seconds each")
    args = parser.parse_args(argv)
    if args.quick:
        args.releases, args.requests = min(args.releases, 300), min(args.requests, 3000)
        args.clients, args.duration = min(args.clients, 20), min(args.duration, 3.0)
    tool = ("wrk" if WRK else "python") if args.tool == "auto" else args.tool
    if tool == "wrk" and WRK is None:
        parser.error("wrk is not installed (use --tool python)")
    load_before = load()
    log(f"load average before: {load_before}")
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    # --keep: the data folder (its ledger signing key signed the kept database's log) stays
    # beside the database, so a later run can reuse both.
    name = f"{DATABASE}_{args.releases}_{args.requests}"
    home = Path(tempfile.gettempdir()) / f"{name}-home" if args.keep else workdir / "home"
    home.mkdir(exist_ok=True)
    database_url, env = prepare(args, home)
    server, port = start_server(env, workdir, probe="/public", workers=args.workers)
    rows: list[Row] = []
    downloads: list[str] = []
    try:
        waited = wait_until_idle(server.pid)
        log(f"the server's start-up work done after {waited:.0f} s")
        load_start = load()
        for label, paths in groups(args.releases, args.requests):
            # First one request alone, waited for however long it takes (a cold cache is
            # computed here, not inside the measured run), then a short warm-up.
            first = time.perf_counter()
            asyncio.run(_download(port, paths(random.Random(0))))
            first = time.perf_counter() - first
            if tool == "wrk":
                run_wrk(port, label, paths, 5, 1.0)  # warm up
                row = run_wrk(port, label, paths, args.clients, args.duration)
            else:
                asyncio.run(run_group(port, label, paths, 5, 1.0))  # warm up
                row = asyncio.run(run_group(port, label, paths, args.clients, args.duration))
            row.load = f"{os.getloadavg()[0]:.2f}"
            row.first = first
            log(f"{label}: {row.count} requests, p95 {row.ms(0.95):.1f} ms, load {row.load}")
            rows.append(row)
        for path in ("/api/public/data/releases.csv", "/api/public/data/requests.csv"):
            status, size, seconds = asyncio.run(_download(port, path))
            downloads.append(f"- {path}: HTTP {status}, {size / 1e6:.2f} MB in {seconds:.2f} s")
        load_after = load()
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not args.keep:
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(
                    f"DROP DATABASE IF EXISTS {database_url.rsplit('/', 1)[1]} WITH (FORCE)"
                )
    print(
        f"\nPortal benchmark: {args.releases} releases, {args.requests} requests on PostgreSQL; "
        f"{args.clients} clients ({tool}), {args.duration:g} s per path; "
        f"{args.workers} server process(es); {os.cpu_count()} CPUs\n"
    )
    print(table(rows))
    print("\nFull open-data downloads (one client):")
    print("\n".join(downloads))
    print(
        f"\nLoad average (1/5/15 min) before the run: {load_before}; when the load began: "
        f"{load_start}; after: {load_after}"
    )
    pages = [r for r in rows if r.label.startswith("/public")]
    worst = max((r.ms(0.95) for r in pages), default=float("nan"))
    print(f"Worst public-page p95: {worst:.1f} ms (target < 100 ms)")
    # a row with no answer at all in its run is a failure too (wrk counts no error then)
    return 0 if all(r.errors == 0 and r.count > 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Scale benchmark: memory and time of the background passes over a large archive.

    uv run python bench/scale_bench.py [--recordings N] [--backend sqlite|postgres|both]

For each back end it fills a fresh database with N recordings (default 1,000,000) straight
into the tables (executemany on SQLite, COPY on PostgreSQL; not the ingest path) with the
custody events, incident links and retention history that a two-year-old deployment would
have, seals the events into the ledger, then runs

- the retention dry run   (``sunlight retention run --dry-run --json``),
- the compliance report   (``sunlight compliance report --month ... --json``),
- ``sunlight audit --no-objects --json`` (no bytes are stored for the synthetic recordings),
- last, the real retention run that ``serve`` starts daily (``sunlight retention run``):
  it schedules today's due recordings and tombstones those whose grace period ended,

each in its own subprocess (peak RSS from ``wait4``), while a client loop asks a running
``sunlight serve`` for ``GET /api/recordings`` and records the latency of every request.
The same is done first at a small baseline size (``--baseline``, default 10,000) and the
results are printed side by side as a markdown table. Targets: peak RSS < 300 MB per pass,
no request over 1 s.

The synthetic archive: recordings spread evenly over the 730 days before today, 300
officers in 12 units, one camera each; a quarter of the recordings linked to incidents
(two per incident, mixed types, most investigations closed); 5 % uploaded late.
Recordings that only the 180-day non-evidentiary rule keeps were, as earlier daily runs
would have done, scheduled and then tombstoned (rows kept, ``deleted_at`` set); those due
in the last 30 days have a pending deletion in its grace period.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _serve import pct as _pct  # bench/_serve.py, shared with portal_bench
from _serve import start_server as _start_server

AS_OF = datetime.now(UTC).date()  # the real run (no --as-of) runs on today too
MONTH = f"{AS_OF.replace(day=1) - timedelta(days=1):%Y-%m}"  # last month: all of it live
DAYS = 730
OFFICERS = 300
UNITS = [f"Unit {chr(ord('A') + i)}" for i in range(12)]
TYPES = [
    "arrest",
    "traffic-stop",
    "non-evidentiary",
    "use-of-force",
    "call-for-service",
    "arrest",
    "traffic-stop",
    "homicide",
]
GRACE_DAYS = 30
UNCLAIMED_DAYS = 180
CHUNK = 20_000
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# -- the synthetic archive ------------------------------------------------------------


RECORDING_COLUMNS = [
    "id",
    "sha256",
    "size_bytes",
    "original_filename",
    "officer_id",
    "device_id",
    "recorded_at",
    "recorded_at_source",
    "ingested_at",
    "ingest_source",
    "playable",
    "browser_playable",
    "container",
    "video_codec",
    "audio_codec",
    "duration_s",
    "width",
    "height",
    "fps",
    "media_info",
    "derivatives_status",
    "deleted_at",
    "deletion_rule",
]
EVENT_COLUMNS = [
    "id",
    "occurred_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "details",
]
DELETION_COLUMNS = [
    "id",
    "recording_id",
    "sha256",
    "rule",
    "policy_version",
    "due_on",
    "scheduled_on",
    "grace_until",
    "status",
    "scheduled_by",
    "closed_at",
    "closed_by",
    "close_reason",
]
INCIDENT_COLUMNS = [
    "id",
    "cad_number",
    "type",
    "started_at",
    "ended_at",
    "unit",
    "source",
    "investigation_status",
    "inactive_reason",
    "status_date",
    "created_at",
]


@dataclass(frozen=True)
class Rec:
    id: int
    sha256: str
    officer_id: int
    recorded_at: datetime
    ingested_at: datetime
    duration_s: float
    incident: int | None  # the incident that claims it
    incident_type: str | None
    due_on: date | None  # when the 180-day rule lets it go (non-evidentiary only)


def _start() -> datetime:
    return datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=UTC) - timedelta(days=DAYS)


def _incident_of(index: int) -> tuple[int, str] | None:
    """Recordings come in blocks of eight; the first two of a block share an incident."""
    block, slot = divmod(index, 8)
    if slot > 1:
        return None
    return block + 1, TYPES[block % len(TYPES)]


def recordings(n: int) -> Iterator[Rec]:
    start = _start()
    span = DAYS * 86400
    for index in range(n):
        rid = index + 1
        recorded = start + timedelta(seconds=span * (index + 0.5) / n)
        duration = 300.0 + (index * 37) % 1500
        ingested = recorded + timedelta(seconds=duration, hours=1)
        if index % 20 == 7:
            ingested += timedelta(days=4)  # a late upload
        claimed = _incident_of(index)
        non_evidentiary = claimed is None or claimed[1] == "non-evidentiary"
        yield Rec(
            id=rid,
            sha256=hashlib.sha256(f"scale bench recording {rid}".encode()).hexdigest(),
            officer_id=index % OFFICERS + 1,
            recorded_at=recorded,
            ingested_at=ingested,
            duration_s=duration,
            incident=claimed[0] if claimed else None,
            incident_type=claimed[1] if claimed else None,
            due_on=recorded.date() + timedelta(days=UNCLAIMED_DAYS) if non_evidentiary else None,
        )


def _state(rec: Rec) -> str:
    """live | pending (scheduled, in grace) | deleted (tombstoned by an earlier run)."""
    if rec.due_on is None or rec.due_on >= AS_OF:
        return "live"
    if rec.due_on < AS_OF - timedelta(days=GRACE_DAYS):
        return "deleted"
    return "pending"


def _noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def recording_rows(n: int) -> Iterator[tuple[Any, ...]]:
    for rec in recordings(n):
        deleted = _state(rec) == "deleted"
        assert rec.due_on is not None or not deleted
        yield (
            rec.id,
            rec.sha256,
            50_000_000 + rec.id,
            f"BWC{rec.officer_id:04d}_{rec.recorded_at:%Y%m%d_%H%M%S}.mp4",
            rec.officer_id,
            rec.officer_id,
            rec.recorded_at,
            "sidecar",
            rec.ingested_at,
            "cli",
            True,
            True,
            "mp4",
            "h264",
            "aac",
            rec.duration_s,
            1920,
            1080,
            30.0,
            json.dumps({"format": "mov,mp4,m4a,3gp,3g2,mj2", "streams": 2}),
            "ready",
            _noon(rec.due_on + timedelta(days=GRACE_DAYS)) if deleted and rec.due_on else None,
            "non-evidentiary" if deleted else None,
        )


def deletion_rows(n: int) -> Iterator[tuple[Any, ...]]:
    deletion_id = 0
    for rec in recordings(n):
        state = _state(rec)
        if state == "live":
            continue
        assert rec.due_on is not None
        deletion_id += 1
        grace = rec.due_on + timedelta(days=GRACE_DAYS)
        done = state == "deleted"
        yield (
            deletion_id,
            rec.id,
            rec.sha256,
            "non-evidentiary",
            1,
            rec.due_on,
            rec.due_on,
            grace,
            "done" if done else "pending",
            "system:retention",
            _noon(grace) if done else None,
            "system:retention" if done else None,
            "180 days" if done else None,
        )


def event_rows(n: int) -> Iterator[tuple[Any, ...]]:
    """An ingest event for every recording, then the retention history (scheduled, and
    tombstone for the deleted ones), ids in that order (the ledger seals in id order)."""
    event_id = 0
    for rec in recordings(n):
        event_id += 1
        details = {
            "sha256": rec.sha256,
            "size": 50_000_000 + rec.id,
            "filename": f"BWC{rec.officer_id:04d}_{rec.recorded_at:%Y%m%d_%H%M%S}.mp4",
            "source": "cli",
            "officer": f"{rec.officer_id:05d}",
            "device": f"BWC-{rec.officer_id:06d}",
            "recorded_at": rec.recorded_at.isoformat(),
        }
        yield (
            event_id,
            rec.ingested_at,
            "system:ingest",
            "ingest",
            "recording",
            str(rec.id),
            "success",
            None,
            json.dumps(details),
        )
    deletion_id = 0
    for rec in recordings(n):
        state = _state(rec)
        if state == "live":
            continue
        assert rec.due_on is not None
        deletion_id += 1
        grace = rec.due_on + timedelta(days=GRACE_DAYS)
        event_id += 1
        yield (
            event_id,
            _noon(rec.due_on),
            "system:retention",
            "retention.scheduled",
            "recording",
            str(rec.id),
            "success",
            "no incident claims it, so non-evidentiary: 180 days",
            json.dumps(
                {
                    "deletion_id": deletion_id,
                    "sha256": rec.sha256,
                    "rule": "non-evidentiary",
                    "policy_version": 1,
                    "due_on": rec.due_on.isoformat(),
                    "grace_until": grace.isoformat(),
                }
            ),
        )
        if state == "deleted":
            event_id += 1
            yield (
                event_id,
                _noon(grace),
                "system:retention",
                "retention.tombstone",
                "recording",
                str(rec.id),
                "success",
                "retention: non-evidentiary",
                json.dumps(
                    {
                        "sha256": rec.sha256,
                        "size_bytes": 50_000_000 + rec.id,
                        "derivatives": [],
                        "deletion_id": deletion_id,
                        "rule": "non-evidentiary",
                        "policy_version": 1,
                        "scheduled_on": rec.due_on.isoformat(),
                        "as_of": grace.isoformat(),
                    }
                ),
            )


def incident_rows(n: int) -> Iterator[tuple[Any, ...]]:
    seen = 0
    for rec in recordings(n):
        if rec.incident is None or rec.incident == seen:
            continue
        seen = rec.incident
        kind = rec.incident_type or "other"
        started = rec.recorded_at - timedelta(minutes=2)
        closed = started.date() + timedelta(days=60)
        if kind == "non-evidentiary":
            status, reason, on = "none", None, None
        elif rec.incident % 7 == 0 or closed >= AS_OF:
            status, reason, on = "active", None, None
        else:
            status, reason, on = "inactive", "not-pursued", closed
        yield (
            rec.incident,
            f"CAD-{rec.incident:08d}",
            kind,
            started,
            started + timedelta(minutes=45),
            UNITS[rec.officer_id % len(UNITS)],
            "cad",
            status,
            reason,
            on,
            started,
        )


def link_rows(n: int) -> Iterator[tuple[Any, ...]]:
    for rec in recordings(n):
        if rec.incident is not None:
            yield (rec.id, rec.incident, rec.id, "manual", "bench", rec.ingested_at)


def crew_rows(n: int) -> Iterator[tuple[Any, ...]]:
    """The officers of each incident: those of its two recordings."""
    row_id = 0
    for rec in recordings(n):
        if rec.incident is not None:
            row_id += 1
            yield (row_id, rec.incident, rec.officer_id)


def officer_rows() -> Iterator[tuple[Any, ...]]:
    for i in range(1, OFFICERS + 1):
        yield (i, f"{i:05d}", f"Officer {i}", UNITS[i % len(UNITS)], True, _start())


def device_rows() -> Iterator[tuple[Any, ...]]:
    for i in range(1, OFFICERS + 11):  # ten spare cameras upload nothing
        yield (i, f"BWC-{i:06d}", "Axon", "Body 4", "body", "in-service", _start())


TABLES: list[tuple[str, list[str], Any]] = [
    ("officers", ["id", "badge_number", "name", "unit", "active", "created_at"], officer_rows),
    ("devices", ["id", "serial", "vendor", "model", "kind", "status", "created_at"], device_rows),
    ("recordings", RECORDING_COLUMNS, recording_rows),
    ("incidents", INCIDENT_COLUMNS, incident_rows),
    ("incident_officers", ["id", "incident_id", "officer_id"], crew_rows),
    (
        "incident_recordings",
        ["id", "incident_id", "recording_id", "how", "linked_by", "linked_at"],
        link_rows,
    ),
    ("retention_deletions", DELETION_COLUMNS, deletion_rows),
    ("custody_events", EVENT_COLUMNS, event_rows),
]


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def fill(database_url: str, n: int) -> dict[str, int]:
    """Insert the synthetic archive with the driver's bulk paths; return rows per table."""
    from sunlight.db import Database

    db = Database(database_url)
    counts: dict[str, int] = {}
    raw: Any = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        if db.dialect == "sqlite":
            driver.execute("PRAGMA synchronous=OFF")
        for table, columns, rows in TABLES:
            source = rows() if table in ("officers", "devices") else rows(n)
            count = 0
            if db.dialect == "sqlite":
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                driver.execute("BEGIN")
                for chunk in _chunks(source, CHUNK):
                    driver.executemany(sql, [tuple(map(_sqlite_value, row)) for row in chunk])
                    count += len(chunk)
                driver.execute("COMMIT")
            else:
                with driver.cursor() as cursor:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in source:
                            copy.write_row(row)
                            count += 1
                    cursor.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                driver.commit()
            counts[table] = count
            log(f"  {table}: {count} rows")
        if db.dialect == "sqlite":
            driver.execute("ANALYZE")
        else:
            driver.autocommit = True
            driver.execute("ANALYZE")
    finally:
        raw.close()
        db.dispose()
    return counts


# -- measuring ------------------------------------------------------------------------


@dataclass
class Pass:
    name: str
    seconds: float
    peak_rss_mb: float
    exit_code: int
    output_bytes: int
    latencies: list[float]


def _child_env(home: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNLIGHT_")}
    env.update(
        SUNLIGHT_HOME=str(home),
        SUNLIGHT_DATABASE_URL=database_url,
        SUNLIGHT_STORAGE_URL=f"file://{home / 'objects'}",
        SUNLIGHT_WORKER_MODE="thread",
        PYTHONPATH=str(ROOT / "src"),
    )
    return env


def run_pass(name: str, args: Sequence[str], env: dict[str, str], workdir: Path) -> Pass:
    """Run ``python -m sunlight ARGS`` and read its own peak RSS from wait4."""
    out = workdir / f"{name.replace(' ', '_')}.json"
    started = time.perf_counter()
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sunlight", *args],
            stdout=sink,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Pass(name, seconds, usage.ru_maxrss / 1024, proc.returncode, out.stat().st_size, [])


class Client:
    """A loop of ``GET /api/recordings`` against the running server, one request at a time;
    ``window`` collects the latencies seen while a pass runs."""

    def __init__(self, url: str, *, max_requests: int, max_seconds: float) -> None:
        self.url = url
        self.max_requests = max_requests
        self.max_seconds = max_seconds
        self.errors = 0

    def measure(self, stop: threading.Event) -> list[float]:
        latencies: list[float] = []
        deadline = time.monotonic() + self.max_seconds
        while not stop.is_set() and len(latencies) < self.max_requests:
            if time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(self.url, timeout=30) as response:
                    response.read()
                    if response.status != 200:
                        self.errors += 1
            except Exception:
                self.errors += 1
            latencies.append(time.perf_counter() - started)
            time.sleep(0.02)
        return latencies


def while_measuring(client: Client, work: Any) -> tuple[Any, list[float]]:
    stop = threading.Event()
    found: list[list[float]] = []
    thread = threading.Thread(target=lambda: found.append(client.measure(stop)), daemon=True)
    thread.start()
    try:
        result = work()
    finally:
        stop.set()
        thread.join(timeout=60)
    return result, found[0] if found else []


@dataclass
class Result:
    backend: str
    n: int
    rows: dict[str, int]
    fill_s: float
    seal_s: float
    count_s: float
    live: int
    passes: list[Pass]
    idle: list[float]
    errors: int


def _count(database_url: str) -> tuple[float, int]:
    from sqlalchemy import text

    from sunlight.db import Database

    db = Database(database_url)
    try:
        with db.engine.connect() as conn:
            started = time.perf_counter()
            conn.execute(text("SELECT count(*) FROM recordings")).scalar()
            seconds = time.perf_counter() - started
            live = conn.execute(
                text("SELECT count(*) FROM recordings WHERE deleted_at IS NULL")
            ).scalar()
    finally:
        db.dispose()
    return seconds, int(live or 0)


def _seal(env: dict[str, str]) -> float:
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
    return time.perf_counter() - started


def bench(backend: str, n: int, args: argparse.Namespace) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"scale-{backend}-{n}-"))
    home = workdir / "home"
    database = f"sunlight_scale_{n}"
    if backend == "sqlite":
        database_url = f"sqlite:///{home / 'sunlight.db'}"
    else:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {database}")
        database_url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    env = _child_env(home, database_url)
    try:
        log(f"{backend} n={n}: migrating")
        subprocess.run(
            [sys.executable, "-m", "sunlight", "db", "upgrade"],
            env=env,
            cwd=ROOT,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log(f"{backend} n={n}: filling")
        started = time.perf_counter()
        rows = fill(database_url, n)
        fill_s = time.perf_counter() - started
        log(f"{backend} n={n}: filled in {fill_s:.1f} s")
        seal_s = _seal(env) if args.seal else float("nan")
        log(f"{backend} n={n}: sealed in {seal_s:.1f} s")
        count_s, live = _count(database_url)
        server, port = _start_server(env, workdir, probe="/api/recordings?per_page=1")
        base = f"http://127.0.0.1:{port}"
        try:
            client = Client(
                f"{base}/api/recordings?per_page=25",
                max_requests=args.max_requests,
                max_seconds=args.max_seconds,
            )
            stop = threading.Event()
            timer = threading.Timer(5.0, stop.set)
            timer.start()
            idle = client.measure(stop)
            passes = []
            for name, cli_args in (
                (
                    "retention dry run",
                    ["retention", "run", "--dry-run", "--as-of", AS_OF.isoformat(), "--json"],
                ),
                ("compliance report", ["compliance", "report", "--month", MONTH, "--json"]),
                *([("audit", ["audit", "--no-objects", "--json"])] if args.seal else []),
                # last, since it changes the archive: the real run that `serve` starts daily
                ("retention run", ["retention", "run", "--json"]),
            ):
                log(f"{backend} n={n}: {name}")
                result, latencies = while_measuring(
                    client, lambda a=cli_args, nm=name: run_pass(nm, a, env, workdir)
                )
                result.latencies = latencies
                passes.append(result)
                log(
                    f"  {result.seconds:.1f} s, {result.peak_rss_mb:.0f} MB, exit "
                    f"{result.exit_code}, p95 {_pct(latencies, 0.95) * 1000:.0f} ms"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)
        return Result(backend, n, rows, fill_s, seal_s, count_s, live, passes, idle, client.errors)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if backend == "postgres":
                import psycopg

                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def table(results: list[Result]) -> str:
    head = "| measure | " + " | ".join(f"{r.backend} N={r.n:,}" for r in results) + " |"
    lines = [head, "|" + "---|" * (len(results) + 1)]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")

    row("rows: recordings (live)", lambda r: f"{r.rows['recordings']:,} ({r.live:,})")
    row("rows: custody events", lambda r: f"{r.rows['custody_events']:,}")
    row("fill (bulk insert)", lambda r: f"{r.fill_s:.1f} s")
    row("seal all events", lambda r: f"{r.seal_s:.1f} s")
    row("floor: SELECT count(*)", lambda r: f"{r.count_s * 1000:.0f} ms")
    row(
        "GET /api/recordings idle p95 / max",
        lambda r: f"{_pct(r.idle, 0.95) * 1000:.0f} / {max(r.idle or [0]) * 1000:.0f} ms",
    )
    names = list(dict.fromkeys(p.name for r in results for p in r.passes))
    empty = Pass("-", float("nan"), float("nan"), -1, 0, [])

    def get(r: Result, name: str) -> Pass:
        return next((p for p in r.passes if p.name == name), empty)

    for name in names:
        row(f"{name}: time", lambda r, name=name: f"{get(r, name).seconds:.1f} s")
        row(f"{name}: peak RSS", lambda r, name=name: f"{get(r, name).peak_rss_mb:.0f} MB")
        row(
            f"{name}: exit code, output",
            lambda r, name=name: (
                f"{get(r, name).exit_code}, {get(r, name).output_bytes / 1e6:.1f} MB"
            ),
        )
        row(
            f"{name}: GET p95 / max (requests)",
            lambda r, name=name: (
                f"{_pct(get(r, name).latencies, 0.95) * 1000:.0f} / "
                f"{max(get(r, name).latencies or [0]) * 1000:.0f} ms "
                f"({len(get(r, name).latencies)})"
            ),
        )
    row("request errors", lambda r: str(r.errors))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=int, default=1_000_000)
    parser.add_argument("--baseline", type=int, default=10_000, help="0: no baseline run")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument("--max-seconds", type=float, default=600)
    parser.add_argument("--keep", action="store_true", help="keep the databases and folders")
    parser.add_argument(
        "--no-seal",
        dest="seal",
        action="store_false",
        help="leave the events unsealed and skip the audit (saves time at large N)",
    )
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    load_before = os.getloadavg()
    results: list[Result] = []
    for backend in backends:
        for n in [args.baseline, args.recordings] if args.baseline else [args.recordings]:
            results.append(bench(backend, n, args))
    load_after = os.getloadavg()
    print(table(results))
    print()
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in load_after)} ({os.cpu_count()} CPUs)"
    )
    worst_rss = max(p.peak_rss_mb for r in results for p in r.passes)
    worst_req = max((max(p.latencies or [0]) for r in results for p in r.passes), default=0)
    print(f"targets: peak RSS {worst_rss:.0f} MB (< 300), slowest request {worst_req:.2f} s (< 1)")
    failed = [p.name for r in results for p in r.passes if p.exit_code not in (0, 1)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""The public statistics' figures, timed in process on a portal-sized PostgreSQL database.

    uv run python bench/stats_bench.py [--releases 10000] [--requests 100000] [--repeat 5]
        [--keep] [--only SLUG]

It fills a database (``sunlight_stats_bench_<releases>_<requests>``) with
``bench/portal_bench.py``'s own filling code (releases, and records requests of which a
third are open), then gives the requests what the records-request figures read and the
portal bench leaves out: each request's status timeline (received, then its answer a few
days later), clock pauses (an open one on each request waiting for a clarification, a
closed one on every seventh open request), delays with a promised date, and asked-for
written grounds; and officers on the incidents (the camera-activation figure's pairs):
200 officers in 12 units and 3 one-officer units, one to three on each incident, each
with a recording of their own during two thirds of the pairs (a quarter of those linked
to the incident), and the portal bench's originals assigned to officers. ``--keep`` reuses the database when it is filled to size, and leaves it.

Then it computes each figure of ``sunlight.stats.figures.SPECS`` ``--repeat`` times, for
the default range (the last 12 months) and a two-year range, each in a fresh session, and
prints per figure the median and the best wall and CPU (``time.process_time``) times in
ms, with the load average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import portal_bench  # bench/portal_bench.py

DATABASE = "sunlight_stats_bench"


def _timeline(requests: int) -> Iterator[tuple[Any, ...]]:
    """Status events: received at receipt, then the request's present status a few days
    (0 to 8) later, as the timeline would hold them."""
    start = portal_bench.NOW - timedelta(days=730)
    n = 0
    for i in range(1, requests + 1):
        at = start + timedelta(seconds=int(i * 730 * 86400 / max(1, requests)))
        status = (
            portal_bench.OPEN[i % len(portal_bench.OPEN)]
            if i % 3 == 0
            else portal_bench.CLOSED[i % len(portal_bench.CLOSED)]
        )
        steps = [("received", at)]
        if status != "received":
            steps.append((status, at + timedelta(days=i % 9, hours=i % 7)))
        before = None
        for target, when in steps:
            n += 1
            details = {"from": before, "to": target} if before else {"to": target}
            yield (n, i, when, "system:bench", "status", json.dumps(details))
            before = target


def _pauses(requests: int) -> Iterator[tuple[Any, ...]]:
    start = portal_bench.NOW - timedelta(days=730)
    n = 0
    for i in range(3, requests + 1, 3):  # the open ones
        at = start + timedelta(seconds=int(i * 730 * 86400 / max(1, requests)))
        status = portal_bench.OPEN[i % len(portal_bench.OPEN)]
        if status == "clarification-requested":
            n += 1
            yield (n, i, at + timedelta(days=1, hours=2), None, "waiting for the requester")
        elif i % 7 == 0:
            n += 1
            begin = at + timedelta(days=i % 3, hours=3)
            yield (n, i, begin, begin + timedelta(days=1 + i % 5), "asked which camera")


def add_timelines(database_url: str, requests: int) -> None:
    """Timelines, pauses, delays and grounds (once: skipped when the timeline is there)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        got = conn.execute("SELECT count(*) FROM request_events").fetchone()
        if got is not None and got[0] > 0:
            return
        with conn.cursor() as cursor:
            for table, columns, rows in (
                (
                    "request_events",
                    ["id", "request_id", "at", "actor", "kind", "details"],
                    _timeline(requests),
                ),
                (
                    "request_pauses",
                    ["id", "request_id", "start", '"end"', "reason"],
                    _pauses(requests),
                ),
            ):
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            # every fifth open request in progress is delayed to a promised date (some past)
            cursor.execute(
                "UPDATE records_requests SET status = 'delayed', "
                "available_at = received_at + (id % 40) * interval '1 day' "
                "WHERE id % 3 = 0 AND status = 'in-progress' AND id % 5 = 0"
            )
            # written grounds asked for (and some given) on a few open (reopened) requests
            cursor.execute(
                "UPDATE records_requests SET grounds_requested_at = received_at + interval "
                "'2 days', grounds_given_at = CASE WHEN id % 2 = 0 THEN received_at + "
                "interval '4 days' END WHERE id % 3 = 0 AND id % 13 = 0"
            )
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def add_crews(database_url: str) -> None:
    """Officers, crews and their footage (once: skipped when there are officers)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        got = conn.execute("SELECT count(*) FROM officers").fetchone()
        if got is not None and got[0] > 0:
            return
        for sql in (
            "INSERT INTO officers (id, badge_number, name, unit, active, created_at) "
            "SELECT g, 'B' || g, 'Officer ' || g, CASE WHEN g <= 3 THEN 'Solo ' || g "
            "WHEN g % 17 = 0 THEN NULL ELSE 'Unit ' || (g % 12) END, true, now() "
            "FROM generate_series(1, 200) g",
            "INSERT INTO incident_officers (incident_id, officer_id) "
            "SELECT i.id, 1 + (i.id * 7 + k * 53) % 200 FROM incidents i, "
            "generate_series(0, 2) k WHERE k <= i.id % 3",
            "UPDATE recordings SET officer_id = 1 + id % 200, duration_s = 600 "
            "WHERE original_filename LIKE 'BWC-%'",
            "INSERT INTO recordings (id, sha256, size_bytes, original_filename, officer_id, "
            "recorded_at, ingested_at, ingest_source, playable, browser_playable, media_info, "
            "derivatives_status, duration_s) "
            "SELECT 1000000 + io.id, md5('crew' || io.id) || md5('crew-' || io.id), 1, "
            "'crew-' || io.id || '.mp4', io.officer_id, i.started_at + interval '5 minutes', "
            "i.started_at + interval '2 hours', 'cli', true, true, '{}', 'none', 900 "
            "FROM incident_officers io JOIN incidents i ON i.id = io.incident_id "
            "WHERE io.id % 3 <> 0",
            "INSERT INTO incident_recordings (incident_id, recording_id, how, linked_by, "
            "linked_at) SELECT io.incident_id, 1000000 + io.id, 'suggested', 'system:bench', "
            "now() FROM incident_officers io WHERE io.id % 3 <> 0 AND io.id % 4 = 0",
        ):
            conn.execute(sql)
        conn.commit()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="reuse a filled database; keep it")
    parser.add_argument("--only", default="", help="only figures whose slug holds this text")
    args = parser.parse_args(argv)
    portal_bench.DATABASE = DATABASE
    name = f"{DATABASE}_{args.releases}_{args.requests}"
    home = Path(tempfile.gettempdir()) / f"{name}-home"
    home.mkdir(exist_ok=True)
    database_url, env = portal_bench.prepare(args, home)
    add_timelines(database_url, args.requests)
    add_crews(database_url)
    os.environ.update(env)

    from sunlight.runtime import start
    from sunlight.stats.figures import SPECS, Range
    from sunlight.stats.policy import load_stats_policy

    runtime = start()
    policy = load_stats_policy().policy
    now = datetime.now(UTC)
    today = now.date()
    ranges = [
        ("last 12 months", Range.default(now)),
        ("two years", Range(today - timedelta(days=730), today)),
    ]
    print(f"load average before: {portal_bench.load()}")
    print(
        f"\n{args.requests} requests, {args.releases} releases on PostgreSQL; "
        f"{args.repeat} runs each, a fresh session each\n"
    )
    print("| figure | range | wall ms median | wall ms best | CPU ms median | CPU ms best |")
    print("|---|---|---:|---:|---:|---:|")
    for spec in SPECS:
        if args.only and args.only not in spec.slug:
            continue
        for label, rng in ranges:
            walls, cpus = [], []
            for _ in range(args.repeat):
                with runtime.db.session(read_only=True) as session:
                    wall, cpu = time.perf_counter(), time.process_time()
                    spec.compute(session, rng, now, policy)
                    cpus.append(1000 * (time.process_time() - cpu))
                    walls.append(1000 * (time.perf_counter() - wall))
            print(
                f"| {spec.slug} | {label} | {statistics.median(walls):.1f} | {min(walls):.1f} "
                f"| {statistics.median(cpus):.1f} | {min(cpus):.1f} |"
            )
    print(f"\nload average after: {portal_bench.load()}")
    runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Per-request SQL profile of the public portal, in process (no server, no network).

    uv run python bench/portal_profile.py DATABASE_URL HOME [--repeat 20] [--explain]

Runs each public path of ``bench/portal_bench.py`` against a filled database (one that
``portal_bench.py --keep`` left behind: its URL and data folder), ``--repeat`` times after
one warm-up, and prints per path: wall time (median), SQL statements per request and the
time they took. ``--explain``: EXPLAIN ANALYZE of each path's slowest statement.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("portal_bench", ROOT / "bench/portal_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("portal_bench", module)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("home", type=Path)
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--only", default="", help="only paths whose label holds this text")
    args = parser.parse_args(argv)
    bench = _bench()
    os.environ.update(bench._env(args.home, args.database_url))
    import random

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from sunlight.runtime import start
    from sunlight.web.app import create_app

    runtime = start()
    statements: list[tuple[float, str, Any]] = []

    def before(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        conn.info["sql_started"] = time.perf_counter()

    def after(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        statements.append((time.perf_counter() - conn.info["sql_started"], sql, params))

    event.listen(runtime.db.engine, "before_cursor_execute", before)
    event.listen(runtime.db.engine, "after_cursor_execute", after)
    groups = bench.groups(args.releases, args.requests)
    groups += [
        ("/api/public/releases", lambda r: "/api/public/releases"),
        ("/api/public/releases/{id}", lambda r: f"/api/public/releases/{r.randrange(1, 49)}"),
        ("/api/public/stats/footage-access", lambda r: "/api/public/stats/footage-access"),
    ]
    print("| path | wall ms (median) | SQL statements | SQL ms | slowest statement ms |")
    print("|---|---:|---:|---:|---:|")
    with TestClient(create_app(runtime, start_worker=False)) as client:
        for label, paths in groups:
            if args.only and args.only not in label:
                continue
            pick = random.Random(1)
            client.get(paths(pick))
            walls, counts, sql_ms, worst = [], [], [], (0.0, "", None)
            for _ in range(args.repeat):
                statements.clear()
                started = time.perf_counter()
                answer = client.get(paths(pick))
                walls.append((time.perf_counter() - started) * 1000)
                assert answer.status_code == 200, (label, answer.status_code)
                counts.append(len(statements))
                sql_ms.append(sum(s[0] for s in statements) * 1000)
                slowest = max(statements, default=(0.0, "", None), key=lambda s: s[0])
                worst = max(worst, slowest, key=lambda s: s[0])
            print(
                f"| {label} | {statistics.median(walls):.1f} | {statistics.median(counts):g} | "
                f"{statistics.median(sql_ms):.1f} | {worst[0] * 1000:.1f} |",
                flush=True,
            )
            if args.explain and worst[1]:
                with runtime.db.engine.connect() as conn:
                    raw = conn.connection.dbapi_connection
                    assert raw is not None
                    with raw.cursor() as cursor:
                        cursor.execute("EXPLAIN ANALYZE " + worst[1], worst[2])
                        plan = "\n".join(str(row[0]) for row in cursor.fetchall())
                print(f"\n```\n{worst[1]}\n{worst[2]}\n{plan}\n```\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Access benchmark: what scoping costs the recordings list on a large archive (PostgreSQL).

    uv run python bench/access_bench.py [--rows N] [--database NAME] [--repeat R] [--keep]

Creates (or, with ``--keep``, reuses) the database NAME (default ``sunlight_access_bench``)
on PostgreSQL at 127.0.0.1:5432 (trust auth), migrates it, fills it with N recordings
(default 1,000,000) with the synthetic archive of ``bench/scale_bench.py`` (300 officers in
12 units, a quarter of the recordings linked to incidents) plus what access rules look at:
0.1 % of recordings flagged as depicting minors, one incident in 40 held by the Highway
Patrol, one recording in 500 shared with the prosecutor's office.

Then, for the unscoped list and for an officer, a supervisor and a records custodian
(principals as the web app builds them, scoped with ``visible(principal, recording:list)``),
it times R times (after two warm-up runs) the first page (50 rows, ordered like
``/api/recordings``: ``recorded_at DESC NULLS LAST, id DESC``) and the count, and prints a
markdown table: p50 and p95 in milliseconds, rows visible, and the p95 overhead over the
unscoped query. Target: scoping adds < 20 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale_bench as scale  # the synthetic archive's rows and helpers

PG = "postgresql://postgres@127.0.0.1:5432"
PAGE = 50


def log(msg: str) -> None:
    scale.log(msg)


def _admin_execute(sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"{PG.replace('postgresql://', 'postgresql+psycopg://')}/postgres")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(sql))
    engine.dispose()


def flag_rows(n: int) -> Any:
    for i, rid in enumerate(range(997, n + 1, 1000), start=1):
        yield (i, rid, "minor", "depicts a minor", "bench", scale._start(), None, None)


def share_rows(n: int, jcpo: int) -> Any:
    expires = datetime.now(UTC) + timedelta(days=30)
    for i, rid in enumerate(range(499, n + 1, 500), start=1):
        yield (i, rid, "JCPO", "prosecutor", jcpo, False, False, "discovery", "bench",
               scale._start(), expires)  # fmt: skip


def fill(url: str, n: int) -> None:
    """The scale benchmark's recordings, officers, incidents and links (COPY), then flags,
    shares and outside custody for the access rules."""
    from sunlight.db import Database

    db = Database(url)
    raw: Any = db.engine.raw_connection()
    try:
        driver = raw.driver_connection
        with driver.cursor() as cursor:
            wanted = {"officers", "devices", "recordings", "incidents", "incident_officers",
                      "incident_recordings"}  # fmt: skip
            for table, columns, rows in scale.TABLES:
                if table not in wanted:
                    continue
                source = rows() if table in ("officers", "devices") else rows(n)
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in source:
                        copy.write_row(row)
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
                log(f"  {table}: filled")
            cursor.execute("SELECT id FROM agencies WHERE short_name = 'JCPO'")
            jcpo = cursor.fetchone()[0]
            cursor.execute("SELECT id FROM agencies WHERE short_name = 'MSHP'")
            mshp = cursor.fetchone()[0]
            columns = ["id", "recording_id", "kind", "reason", "created_by", "created_at",
                       "cleared_at", "cleared_by"]  # fmt: skip
            with cursor.copy(f"COPY recording_flags ({', '.join(columns)}) FROM STDIN") as copy:
                for row in flag_rows(n):
                    copy.write_row(row)
            columns = ["id", "recording_id", "recipient", "recipient_kind", "agency_id",
                       "can_download", "can_reshare", "reason", "created_by", "created_at",
                       "expires_at"]  # fmt: skip
            with cursor.copy(f"COPY shares ({', '.join(columns)}) FROM STDIN") as copy:
                for row in share_rows(n, jcpo):
                    copy.write_row(row)
            cursor.execute("UPDATE incidents SET agency_id = %s WHERE id %% 40 = 0", (mshp,))
            for table in ("recording_flags", "shares"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
        driver.commit()
    finally:
        raw.close()
        db.dispose()


#: The indexes of migration 0012_access_indexes, to measure without them (--without-indexes).
ACCESS_INDEXES = {
    "ix_recordings_listed": "(recorded_at DESC NULLS LAST, id DESC)",
    "ix_recordings_officer_listed": "(officer_id, recorded_at DESC NULLS LAST, id DESC)",
}


def prepare(url: str, *, with_indexes: bool) -> None:
    """Migrate to head, drop or (re)create the access indexes, and VACUUM ANALYZE (as
    autovacuum would have, so the visibility map allows index-only scans)."""
    from sqlalchemy import text

    from sunlight.db import Database
    from sunlight.db.migrate import upgrade

    db = Database(url)
    upgrade(db.engine)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for name, columns in ACCESS_INDEXES.items():
            if with_indexes:
                conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON recordings {columns}"))
            else:
                conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
        conn.execute(text("VACUUM ANALYZE"))
    db.dispose()


@dataclass
class Timing:
    label: str
    page: list[float]
    count: list[float]
    visible: int
    plan: str
    #: median "Execution Time" of EXPLAIN ANALYZE: the database's part, without Python's
    server_page: float = 0.0
    server_count: float = 0.0


def _server_ms(session: Any, query: Any, engine: Any, runs: int = 7) -> float:
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    times = []
    for _ in range(runs):
        lines = [r[0] for r in session.connection().exec_driver_sql(f"EXPLAIN ANALYZE {compiled}")]
        times.append(float(lines[-1].split(":")[1].split()[0]))
    return statistics.median(times)


def _pct(values: list[float], q: float) -> float:
    return scale._pct(values, q)


def measure(url: str, repeat: int) -> list[Timing]:
    from sqlalchemy import ColumnElement, func, select, true

    import sunlight.models  # noqa: F401  (registers the access conditions)
    from sunlight.access.decide import visible
    from sunlight.access.models import Agency
    from sunlight.access.permissions import Permission
    from sunlight.access.principal import Principal
    from sunlight.db import Database
    from sunlight.evidence.models import Officer, Recording

    db = Database(url)
    now = datetime.now(UTC)  # the shares were filled to expire 30 days from the fill
    with db.session(read_only=True) as session:
        kcpd = session.scalars(select(Agency).where(Agency.short_name == "KCPD")).one()
        officer = session.get(Officer, 1)
        assert officer is not None

    def staff(name: str, role: str, **kw: Any) -> Principal:
        return Principal(
            id=f"user:{name}", display_name=name, kind="user", roles=frozenset({role}),
            agency_id=kcpd.id, agency_kind="department", auth="session", **kw,
        )  # fmt: skip

    who: list[tuple[str, Callable[[], ColumnElement[bool]]]] = [
        ("unscoped (baseline)", lambda: true()),
        (
            "officer",
            lambda: visible(
                staff("officer", "officer", officer_id=1, unit=officer.unit),
                Permission.RECORDING_LIST,
                now=now,
            ),
        ),
        (
            "supervisor",
            lambda: visible(
                staff("sergeant", "supervisor", unit=officer.unit),
                Permission.RECORDING_LIST,
                now=now,
            ),
        ),
        (
            "records custodian",
            lambda: visible(
                staff("custodian", "records-custodian"), Permission.RECORDING_LIST, now=now
            ),
        ),
    ]
    order = (Recording.recorded_at.desc().nulls_last(), Recording.id.desc())
    pages: dict[str, list[float]] = {label: [] for label, _ in who}
    counts: dict[str, list[float]] = {label: [] for label, _ in who}
    visible_rows: dict[str, int] = {}
    with db.session(read_only=True) as session:
        # round robin, so that the shared machine's load falls on every principal alike
        for i in range(repeat + 2):
            for label, condition in who:
                started = time.perf_counter()
                # built per request, as a route does: the SQL compilation is part of the cost
                page = select(Recording).where(condition()).order_by(*order).limit(PAGE)
                rows = session.scalars(page).all()
                elapsed = time.perf_counter() - started
                assert len(rows) <= PAGE
                started = time.perf_counter()
                query = select(func.count()).select_from(
                    select(Recording.id).where(condition()).subquery()
                )
                visible_rows[label] = session.scalar(query) or 0
                counted = time.perf_counter() - started
                if i >= 2:  # two warm-up rounds
                    pages[label].append(elapsed * 1000)
                    counts[label].append(counted * 1000)
                session.expunge_all()
        results = []
        for label, condition in who:
            plan_sql = select(Recording.id).where(condition()).order_by(*order).limit(PAGE)
            compiled = plan_sql.compile(db.engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(
                r[0] for r in session.connection().exec_driver_sql(f"EXPLAIN {compiled}")
            )
            timing = Timing(label, pages[label], counts[label], visible_rows[label], plan)
            count_sql = select(func.count()).select_from(
                select(Recording.id).where(condition()).subquery()
            )
            timing.server_page = _server_ms(session, plan_sql, db.engine)
            timing.server_count = _server_ms(session, count_sql, db.engine)
            results.append(timing)
            log(
                f"  {label}: page p95 {_pct(pages[label], 0.95):.2f} ms, "
                f"count p95 {_pct(counts[label], 0.95):.2f} ms, {visible_rows[label]} visible"
            )
    db.dispose()
    return results


def table(results: list[Timing], label: str) -> str:
    base = results[0]
    lines = [
        f"Scoped recordings list, {base.visible:,} recordings, PostgreSQL, {label} "
        f"(load average {os.getloadavg()[0]:.2f}); milliseconds",
        "",
        "| principal | visible | page p50 | page p95 | page overhead (p95) "
        "| count p50 | count p95 | count overhead (p95) | db page | db count |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        page_over = 100 * (_pct(r.page, 0.95) / _pct(base.page, 0.95) - 1)
        count_over = 100 * (_pct(r.count, 0.95) / _pct(base.count, 0.95) - 1)
        lines.append(
            f"| {r.label} | {r.visible:,} | {statistics.median(r.page):.2f} "
            f"| {_pct(r.page, 0.95):.2f} | {'—' if r is base else f'{page_over:+.0f} %'} "
            f"| {statistics.median(r.count):.2f} | {_pct(r.count, 0.95):.2f} "
            f"| {'—' if r is base else f'{count_over:+.0f} %'} "
            f"| {r.server_page:.2f} | {r.server_count:.2f} |"
        )
    lines += [
        "",
        "page and count: wall time in the client (SQLAlchemy, psycopg), over the repeats;",
        "db page, db count: median Execution Time of EXPLAIN ANALYZE (the database alone).",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default="sunlight_access_bench")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse a filled database")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN of each query")
    parser.add_argument(
        "--without-indexes",
        action="store_true",
        help="drop the indexes of migration 0012_access_indexes first (the 'before' numbers)",
    )
    args = parser.parse_args(argv)
    url = f"{PG}/{args.database}"
    if not args.keep:
        from sunlight.db import Database
        from sunlight.db.migrate import upgrade

        log(f"creating {args.database} with {args.rows:,} recordings")
        _admin_execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        _admin_execute(f'CREATE DATABASE "{args.database}"')
        db = Database(url)
        upgrade(db.engine)
        db.dispose()
        started = time.perf_counter()
        fill(url, args.rows)
        log(f"filled in {time.perf_counter() - started:.0f} s")
    prepare(url, with_indexes=not args.without_indexes)
    log("access indexes " + ("dropped" if args.without_indexes else "in place"))
    results = measure(url, args.repeat)
    if args.plans:
        for r in results:
            print(f"\n{r.label}:\n{r.plan}")
    label = "without" if args.without_indexes else "with"
    print(table(results, f"{label} the 0012 access indexes"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

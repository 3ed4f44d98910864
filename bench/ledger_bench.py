"""Custody ledger benchmark: batched appends, inclusion proofs at 1M leaves, full audit.

    uv run python bench/ledger_bench.py            # full: 1M events sealed and audited
    uv run python bench/ledger_bench.py --quick    # well under a minute; audit projected

Prints one table with the targets of issue #3 side by side. PostgreSQL is used when
reachable at --pg-url (a scratch database is created and dropped); otherwise its rows say
why they were skipped.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text

from sunlight.config import load_settings
from sunlight.db.base import utcnow
from sunlight.evidence.ingest import ingest_details
from sunlight.evidence.models import CustodyEvent, Recording
from sunlight.ledger import checkpoints, log_identity, sealing, stored_log
from sunlight.ledger.audit import run_audit
from sunlight.ledger.models import node_key
from sunlight.ledger.tree import MemoryHashStore, MerkleTree, NodeId
from sunlight.ledger.verify import leaf_hash, verify_inclusion
from sunlight.runtime import Runtime, start

ONE_MILLION = 1_000_000
PROOF_LEAVES = 2**20  # 1,048,576
#: A view, stream or download event's details (``Access.log_details`` in the web layer).
ACCESS_DETAILS = {"rule": "officers-own-recordings", "policy_version": "2026-12-04.1"}


def _settings(home: Path, database_url: str | None = None) -> Any:
    env = {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}
    if database_url:
        env["SUNLIGHT_DATABASE_URL"] = database_url
    return load_settings(env)


@contextmanager
def sqlite_runtime(root: Path) -> Iterator[Runtime]:
    rt = start(_settings(root / f"sqlite-{uuid.uuid4().hex[:6]}"))
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def postgres_runtime(root: Path, admin_url: str) -> Iterator[Runtime]:
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"sunlight_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    rt = start(_settings(root / name, url))
    try:
        yield rt
    finally:
        rt.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def add_events(rt: Runtime, count: int, chunk: int = 20_000) -> None:
    """Bulk-insert custody events as the custody core writes them (not timed).

    Every fourth event ingests a new recording: its ``recordings`` row goes in beside it,
    in the same transaction, and its details are the real ingest event's
    (:func:`sunlight.evidence.ingest.ingest_details`), since the audit replays ingests into
    the recordings table. The others view, stream or download a recording already ingested.
    """
    now = utcnow()
    done = 0
    while done < count:
        n = min(chunk, count - done)
        recordings: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for i in range(done, done + n):
            event: dict[str, Any] = {
                "occurred_at": now,
                "actor": f"user:{i % 900}",
                "object_type": "recording",
                "outcome": "success",
            }
            if i % 4 == 0:
                rid = i // 4 + 1
                row = _recording_row(rid, now)
                recordings.append(row)
                details = ingest_details(Recording(**row), row["ingest_source"])
                event.update(action="ingest", object_id=str(rid), reason=None, details=details)
            else:
                target = 1 + (i * 7919) % (i // 4 + 1)  # one ingested at or before event i
                action = ("view", "stream", "download")[i % 4 - 1]
                details = dict(ACCESS_DETAILS)  # the deciding rule, as web routes log it
                if action == "stream":
                    details["copy"] = "proxy"
                event.update(
                    action=action,
                    object_id=str(target),
                    reason=f"case review {i}" if i % 5 == 0 else None,
                    details=details,
                )
            events.append(event)
        with rt.db.session() as session:
            if recordings:
                session.execute(insert(Recording), recordings)
            session.execute(insert(CustodyEvent), events)
        done += n


def _recording_row(rid: int, now: datetime) -> dict[str, Any]:
    """A ``recordings`` row as ingest stores a playable file whose derivatives are pending."""
    return {
        "id": rid,
        "sha256": f"{rid:064x}",
        "size_bytes": 1_048_576 * (1 + rid % 900),
        "original_filename": f"PAN-{rid:08d}.mp4",
        "title": None,
        "notes": None,
        "officer_id": None,
        "device_id": None,
        "recorded_at": None,
        "recorded_at_source": None,
        "ingested_at": now,
        "ingest_source": "cli",
        "playable": True,
        "browser_playable": True,
        "container": "mp4",
        "video_codec": "h264",
        "audio_codec": "aac",
        "duration_s": 60.0 * (1 + rid % 30),
        "width": 1920,
        "height": 1080,
        "fps": 30.0,
        "media_info": {},
        "derivatives_status": "pending",
    }


def bench_appends(rt: Runtime, count: int) -> float:
    add_events(rt, count)
    log_identity.init_key(rt)  # key generation is not part of sealing
    started = time.perf_counter()
    size = sealing.seal_pending(rt)
    elapsed = time.perf_counter() - started
    assert size == count, (size, count)
    checkpoints.issue_checkpoint(rt)
    return count / elapsed


def tree_rows(leaves: int) -> list[tuple[int, int, int, bytes]]:
    """The ``ledger_nodes`` rows of a tree of ``leaves`` synthetic leaves."""
    store = MemoryHashStore()
    tree = MerkleTree(store)
    step = 65_536
    for start_at in range(0, leaves, step):
        hashes = [leaf_hash(i.to_bytes(8, "big")) for i in range(start_at, start_at + step)]
        store.put_nodes(tree.append(start_at, hashes))
    return [(node_key(n.level, n.index), n.level, n.index, h) for n, h in store.snapshot().items()]


def fill_tree(rt: Runtime, rows: list[tuple[int, int, int, bytes]]) -> None:
    """Bulk-load tree nodes through the driver (sets up the proof benchmark; not measured)."""
    raw: Any = rt.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if rt.db.dialect == "postgresql":
            with cursor.copy("COPY ledger_nodes (key, level, idx, hash) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute("ANALYZE ledger_nodes")
        else:
            cursor.execute("BEGIN")
            cursor.executemany(
                "INSERT INTO ledger_nodes (key, level, idx, hash) VALUES (?, ?, ?, ?)", rows
            )
        raw.commit()
    finally:
        raw.close()


def bench_proofs(rt: Runtime, size: int, samples: int) -> tuple[float, float]:
    """Mean and p99 milliseconds per inclusion proof (one DB query each), verified."""
    timings = []
    rng = random.Random(7)
    with rt.db.session() as session:
        tree = stored_log.tree_for(session)
        root = tree.root(size)
        for _ in range(samples):
            index = rng.randrange(size)
            started = time.perf_counter()
            proof = tree.inclusion_proof(index, size)
            timings.append((time.perf_counter() - started) * 1000)
            if len(timings) <= 50:  # spot-check that the proofs are real
                digest = tree.store.get_nodes([NodeId(0, index)])[0]
                verify_inclusion(digest, index, size, proof, root)
    timings.sort()
    return statistics.fmean(timings), timings[int(len(timings) * 0.99) - 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs; audit projected to 1M")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args(argv)

    append_n = 20_000 if args.quick else 200_000
    audit_n = 20_000 if args.quick else ONE_MILLION
    samples = 2_000 if args.quick else 10_000
    rows: list[tuple[str, str, str, str, bool | None]] = []

    def log(msg: str) -> None:
        print(f"... {msg}", file=sys.stderr, flush=True)

    log(f"hashing a {PROOF_LEAVES:,}-leaf tree")
    nodes = tree_rows(PROOF_LEAVES)
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        root = Path(tmp)
        with sqlite_runtime(root) as rt:
            log(f"SQLite: sealing {append_n:,} events")
            rate = bench_appends(rt, append_n)
            rows.append(
                ("appends/s, batched", "SQLite", f"{rate:,.0f}/s", "≥ 5,000/s", rate >= 5000)
            )
        if args.no_pg:
            rows.append(
                ("appends/s, batched", "PostgreSQL", "skipped (--no-pg)", "≥ 5,000/s", None)
            )
        else:
            try:
                with postgres_runtime(root, args.pg_url) as rt:
                    log(f"PostgreSQL: sealing {append_n:,} events")
                    rate = bench_appends(rt, append_n)
                    rows.append(
                        (
                            "appends/s, batched",
                            "PostgreSQL",
                            f"{rate:,.0f}/s",
                            "≥ 5,000/s",
                            rate >= 5000,
                        )
                    )
                with postgres_runtime(root, args.pg_url) as rt:
                    log(f"PostgreSQL: storing a {PROOF_LEAVES:,}-leaf tree")
                    fill_tree(rt, nodes)
                    mean, p99 = bench_proofs(rt, PROOF_LEAVES, samples)
                    rows.append(
                        (
                            f"inclusion proof at {PROOF_LEAVES:,} leaves",
                            "PostgreSQL",
                            f"{mean:.3f} ms (p99 {p99:.3f})",
                            "< 2 ms",
                            p99 < 2,
                        )
                    )
            except Exception as exc:
                rows.append(("appends/s, batched", "PostgreSQL", f"skipped: {exc!s:.60}", "", None))

        with sqlite_runtime(root) as rt:
            log(f"SQLite: storing a {PROOF_LEAVES:,}-leaf tree")
            fill_tree(rt, nodes)
            mean, p99 = bench_proofs(rt, PROOF_LEAVES, samples)
            rows.append(
                (
                    f"inclusion proof at {PROOF_LEAVES:,} leaves",
                    "SQLite",
                    f"{mean:.3f} ms (p99 {p99:.3f})",
                    "< 2 ms",
                    p99 < 2,
                )
            )

        with sqlite_runtime(root) as rt:
            log(f"SQLite: {audit_n:,} events for the audit")
            add_events(rt, audit_n)
            sealing.seal_pending(rt)
            checkpoints.issue_checkpoint(rt)
            log("SQLite: auditing")
            report = run_audit(rt, objects=False)
            assert report.ok and report.events_checked == audit_n, report.findings
            seconds = report.seconds * (ONE_MILLION / audit_n)
            label = f"{seconds:.1f} s" + (
                f" (projected from {audit_n:,})" if audit_n != ONE_MILLION else ""
            )
            rows.append(("full audit of 1M events", "SQLite", label, "< 60 s", seconds < 60))

    width = [max(len(str(r[i])) for r in rows) for i in range(4)]
    header = ("measure", "database", "measured", "target")
    width = [max(w, len(h)) for w, h in zip(width, header, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, width, strict=True)) + "  ok"
    print(line)
    print("-" * len(line))
    for *cells, ok in rows:
        mark = "—" if ok is None else ("yes" if ok else "NO")
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, width, strict=True)) + f"  {mark}")
    return 0 if all(r[4] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

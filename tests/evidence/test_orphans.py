"""The orphan pass streams: memory stays flat as the store and the database grow."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sunlight.evidence.models import Recording
from sunlight.evidence.orphans import find_orphans
from sunlight.runtime import Runtime

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def digest(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


@dataclass
class ListingOnly:
    """A store listing ``count`` objects (every tenth one unreferenced) without bytes."""

    count: int

    def iter_objects(self) -> Iterator[str]:
        return (digest(i) for i in range(self.count))

    def stored_at(self, sha256: str) -> datetime:
        return LONG_AGO

    def size(self, sha256: str) -> int:
        return 1000


def fill(runtime: Runtime, count: int) -> None:
    rows = [
        {
            "sha256": digest(i),
            "size_bytes": 1000,
            "original_filename": f"f{i}.mp4",
            "ingested_at": LONG_AGO,
            "ingest_source": "cli",
            "playable": False,
            "browser_playable": False,
            "media_info": {},
            "derivatives_status": "unavailable",
        }
        for i in range(count)
        if i % 10 != 3
    ]
    with runtime.db.session() as session:
        session.execute(Recording.__table__.insert(), rows)


def peak_while_counting(runtime: Runtime, count: int) -> tuple[int, int]:
    runtime.store = ListingOnly(count)  # type: ignore[assignment]
    tracemalloc.start()
    try:
        found = sum(1 for _ in find_orphans(runtime, now=LONG_AGO + timedelta(days=1)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return found, peak


def test_orphan_pass_memory_does_not_grow_with_the_archive(embedded_runtime: Runtime) -> None:
    fill(embedded_runtime, 8_000)
    peak_while_counting(embedded_runtime, 1_000)  # warm the statement caches
    small_found, small_peak = peak_while_counting(embedded_runtime, 1_000)
    large_found, large_peak = peak_while_counting(embedded_runtime, 8_000)
    assert (small_found, large_found) == (100, 800)
    # Eight times the objects, about the same memory (one batch at a time).
    assert large_peak < 1.5 * small_peak + 256 * 1024, (small_peak, large_peak)

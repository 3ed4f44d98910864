"""Stored bytes that nothing refers to: objects in the store with no recording, derivative,
redaction plan or retention row naming them.

Every writer stores bytes first and commits the row that names them second, so a failure
or a crash in between leaves an object nobody refers to. Those bytes may be evidence that
somebody believed was uploaded, so they are never deleted here: ``find_orphans`` reports
each one with its SHA-256 and size (``sunlight reconcile``, serve's schedule and
``sunlight audit`` call it; the upload reconciler first records the ones a staged upload
still describes).

The pass streams: the store's listing is read in batches and each batch is looked up in the
database in one short read (indexed columns, migration 0006), so memory and transaction
length stay flat however large the archive is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice

from sqlalchemy import ColumnClause, Select, String, column, select, table, union

from sunlight.runtime import Runtime
from sunlight.storage import ObjectNotFound

#: Every (table, column) that names an object in the store. A new kind of stored object
#: must be listed here, or its bytes are reported as orphans.
REFERENCES: tuple[tuple[str, str], ...] = (
    ("recordings", "sha256"),
    ("recordings", "proxy_sha256"),
    ("recordings", "poster_sha256"),
    ("recordings", "thumbs_sha256"),
    ("redaction_plans", "sha256"),
    ("retention_deletions", "sha256"),
)

#: Objects younger than this are left alone: their writer may be about to commit its row.
DEFAULT_GRACE = timedelta(minutes=10)
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class Orphan:
    sha256: str
    size: int
    stored_at: datetime

    def to_dict(self) -> dict[str, object]:
        return {"sha256": self.sha256, "size": self.size, "stored_at": self.stored_at.isoformat()}

    def describe(self) -> str:
        return (
            f"stored object {self.sha256} ({self.size} bytes, stored "
            f"{self.stored_at.isoformat(timespec='seconds')}) belongs to no recording, "
            "derivative or redaction plan"
        )


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _referenced_query(digests: Sequence[str]) -> Select[tuple[str]]:
    selects = []
    for table_name, column_name in REFERENCES:
        col: ColumnClause[str] = column(column_name, String)
        selects.append(
            select(col.label("sha256")).select_from(table(table_name, col)).where(col.in_(digests))
        )
    return select(union(*selects).subquery().c.sha256)


def referenced(runtime: Runtime, digests: Sequence[str]) -> set[str]:
    """Which of ``digests`` some row refers to (one short read)."""
    if not digests:
        return set()
    with runtime.db.session(read_only=True) as session:
        return set(session.scalars(_referenced_query(digests)))


def find_orphans(
    runtime: Runtime,
    *,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
    batch_size: int = DEFAULT_BATCH,
) -> Iterator[Orphan]:
    """Yield every object stored before ``now - grace`` that no row refers to."""
    if batch_size <= 0:
        raise ValueError("batch_size must be positive")
    store = runtime.store
    cutoff = now - grace
    for batch in _batches(store.iter_objects(), batch_size):
        known = referenced(runtime, batch)
        candidates: list[Orphan] = []
        for sha256 in batch:
            if sha256 in known:
                continue
            try:
                stored_at = store.stored_at(sha256)
                size = store.size(sha256)
            except ObjectNotFound:
                continue  # deleted since the listing (retention)
            if stored_at <= cutoff:
                candidates.append(Orphan(sha256, size, stored_at))
        if not candidates:
            continue
        # Referenced by now? A writer may have committed since the batch was read.
        late = referenced(runtime, [c.sha256 for c in candidates])
        yield from (c for c in candidates if c.sha256 not in late)

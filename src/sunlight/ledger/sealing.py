"""Sealing custody events into the log: each event becomes a leaf, in id order, in batches
under the writer lock."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from sunlight.db.base import utcnow
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import state as log_state
from sunlight.ledger.config import LedgerSettings, ledger_settings
from sunlight.ledger.entry import EventFields, build_entry, new_salt
from sunlight.ledger.errors import refuse
from sunlight.ledger.models import LedgerLeaf, LedgerNode, node_key
from sunlight.ledger.stored_log import ledger_size, lock_writer, tree_for
from sunlight.ledger.verify import leaf_hash
from sunlight.runtime import Runtime

#: Events sealed per transaction.
BATCH_SIZE = 2000
#: How far behind the newest sealed event id to look for events that committed late.
LOOKBACK_IDS = 10_000
_HEX64 = re.compile(r"[0-9a-f]{64}")


def event_fields(row: Any) -> EventFields:
    return EventFields(
        id=row.id,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        outcome=row.outcome,
        reason=row.reason,
        details=row.details or {},
    )


EVENT_COLUMNS = (
    CustodyEvent.id,
    CustodyEvent.occurred_at,
    CustodyEvent.actor,
    CustodyEvent.action,
    CustodyEvent.object_type,
    CustodyEvent.object_id,
    CustodyEvent.outcome,
    CustodyEvent.reason,
    CustodyEvent.details,
)


def _seal_guard(session: Session, ls: LedgerSettings, size: int) -> None:
    """Refuse to append leaves at positions the log already signed for other entries: on
    a database behind the checkpoint file (rollback), or on a restored copy (its file is a
    copy) until ``restore-check``. A drill may seal: it never signs."""
    if ls.drill:
        return
    try:
        saved = log_state.read_state(ls.state_file)
    except log_state.StateError:
        return  # signing refuses, and says why
    if saved is None:
        return
    if saved.is_copy:
        raise refuse(
            f"refusing to seal: the checkpoint file {ls.state_file} is a copy: this host may "
            "be a restored backup behind the published log, and new leaves would take "
            "positions the log already filled. Fetch the latest published checkpoint (GET "
            "/log/checkpoint of the public log, or a witness's copy) and run `sunlight "
            "ledger restore-check FILE`"
        )
    if size < saved.checkpoint.size:
        raise refuse(
            f"ROLLBACK: refusing to seal: this log signed checkpoint {saved.checkpoint.size} "
            f"(kept in {ls.state_file}) but the database holds only {size} leaves: it was "
            "rolled back or restored from an older backup. Restore the newest database"
        )


def _seal_batch(session: Session, batch_size: int, full: bool, ls: LedgerSettings) -> int:
    """Seal up to ``batch_size`` unsealed events; return how many were sealed."""
    lock_writer(session)
    size = ledger_size(session)
    _seal_guard(session, ls, size)
    query = (
        select(*EVENT_COLUMNS)
        .outerjoin(LedgerLeaf, LedgerLeaf.event_id == CustodyEvent.id)
        .where(LedgerLeaf.leaf_index.is_(None))
        .order_by(CustodyEvent.id)
        .limit(batch_size)
    )
    if not full:
        newest = session.scalar(select(func.max(LedgerLeaf.event_id)))
        if newest is not None:
            query = query.where(CustodyEvent.id > newest - LOOKBACK_IDS)
    rows = session.execute(query).all()
    if not rows:
        return 0
    now = utcnow()
    leaves: list[dict[str, Any]] = []
    hashes: list[bytes] = []
    for offset, row in enumerate(rows):
        event = event_fields(row)
        salt = new_salt()
        entry = build_entry(event, salt)
        digest = leaf_hash(entry)
        subject = event.details.get("sha256")
        hashes.append(digest)
        leaves.append(
            {
                "leaf_index": size + offset,
                "event_id": event.id,
                "leaf_hash": digest,
                "entry": entry,
                "salt": salt,
                "subject_sha256": subject
                if isinstance(subject, str) and _HEX64.fullmatch(subject)
                else None,
                "sealed_at": now,
            }
        )
    nodes = tree_for(session).append(size, hashes)
    node_rows = [
        {"key": node_key(n.level, n.index), "level": n.level, "idx": n.index, "hash": h}
        for n, h in nodes.items()
    ]
    if session.get_bind().dialect.name == "postgresql":
        _copy_rows(session, "ledger_leaves", leaves)
        _copy_rows(session, "ledger_nodes", node_rows)
    else:
        session.execute(insert(LedgerLeaf), leaves)
        session.execute(insert(LedgerNode), node_rows)
    return len(rows)


def _copy_rows(session: Session, table: str, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert with PostgreSQL's COPY, inside the session's transaction (sealing is the
    ledger's hot path; COPY is several times faster than a pipelined executemany)."""
    columns = list(rows[0])
    driver: Any = session.connection().connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[c] for c in columns])


def seal_pending(runtime: Runtime, *, batch_size: int = BATCH_SIZE, full: bool = False) -> int:
    """Append every custody event not yet in the log, in id order; return the new size.

    Each batch is its own transaction under the writer lock. ``full`` also looks for
    unsealed events far behind the newest sealed one (normally only the last
    ``LOOKBACK_IDS`` ids are searched, which catches transactions that committed late).

    Raises:
        SigningRefused: the database is behind the checkpoint file, or this host is a
            restored copy not yet confirmed by ``restore-check`` (see ``_seal_guard``).
    """
    ls = ledger_settings(runtime.settings)
    while True:
        with runtime.db.session() as session:
            sealed = _seal_batch(session, batch_size, full, ls)
        if sealed < batch_size:
            break
    with runtime.db.session() as session:
        return ledger_size(session)

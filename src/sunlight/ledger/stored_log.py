"""The stored log: the Merkle tree over ``ledger_nodes``, the writer lock, the log's size
and its latest checkpoint."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from sunlight.ledger.errors import LedgerError
from sunlight.ledger.models import LedgerCheckpoint, LedgerLeaf, LedgerNode, node_key
from sunlight.ledger.tree import MerkleTree, NodeId

_LOCK_KEY = 0x53554E4C  # "SUNL": the advisory lock id for ledger writers on PostgreSQL


class DbHashStore:
    """A :class:`~sunlight.ledger.tree.HashStore` over ``ledger_nodes``: one query per call."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get_nodes(self, ids: Sequence[NodeId]) -> list[bytes]:
        if not ids:
            return []
        keys = [node_key(n.level, n.index) for n in ids]
        rows = self.session.execute(
            select(LedgerNode.key, LedgerNode.hash).where(LedgerNode.key.in_(set(keys)))
        ).all()
        found = dict(rows)
        return [found[k] for k in keys]


def tree_for(session: Session) -> MerkleTree:
    return MerkleTree(DbHashStore(session))


def lock_writer(session: Session) -> None:
    """Take the ledger's writer lock for the rest of ``session``'s transaction."""
    conn = session.connection()
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    elif dialect == "sqlite":
        # The engine opened a deferred transaction that has not read anything yet;
        # replace it with one that holds SQLite's write lock from the start, so two
        # sealers queue on the busy timeout instead of failing on a stale snapshot.
        conn.exec_driver_sql("ROLLBACK")
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:  # pragma: no cover - only the two supported databases
        raise LedgerError(f"no ledger writer lock for {dialect}")


def ledger_size(session: Session) -> int:
    top = session.scalar(select(func.max(LedgerLeaf.leaf_index)))
    return 0 if top is None else int(top) + 1


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))

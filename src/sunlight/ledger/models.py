"""Tables of the custody ledger. Leaves, nodes, checkpoints and cosignatures are
append-only: database triggers refuse UPDATE and DELETE on them (see migration 0002)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from sunlight.db.base import Base, BigId, UTCDateTime, utcnow


class LedgerLeaf(Base):
    """Leaf ``leaf_index`` of the Merkle log: one custody event's canonical entry."""

    __tablename__ = "ledger_leaves"

    leaf_index: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigId, ForeignKey("custody_events.id"), unique=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), index=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
    # Per-event random salt of the commitment to the private fields (see entry.py).
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    # The evidence hash the entry names (ingest events), for lookups by file.
    subject_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerNode(Base):
    """Hash of the complete subtree at (level, idx): leaves [idx * 2^level, (idx+1) * 2^level).

    ``key`` = ``level << 56 | idx`` packs the address into one integer primary key, so
    that fetching a proof's nodes is a single ``key IN (...)`` lookup on every database.
    """

    __tablename__ = "ledger_nodes"

    key: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(SmallInteger)
    idx: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


def node_key(level: int, idx: int) -> int:
    """The ``ledger_nodes.key`` of the node at (level, idx)."""
    if not 0 <= level < 64 or not 0 <= idx < 1 << 56:
        raise ValueError("node address out of range")
    return level << 56 | idx


class LedgerCheckpoint(Base):
    """A signed C2SP tlog-checkpoint (the note as signed by the log, without cosignatures)."""

    __tablename__ = "ledger_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerCosignature(Base):
    """A witness's C2SP tlog-cosignature line over one checkpoint."""

    __tablename__ = "ledger_cosignatures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint_id: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoints.id"), index=True)
    witness_name: Mapped[str] = mapped_column(String(200))
    key_id: Mapped[str] = mapped_column(String(8))
    timestamp: Mapped[int] = mapped_column(BigInteger)
    signature_line: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("checkpoint_id", "witness_name", "key_id"),)


#: ``custody_events.object_type`` of a witness's acceptance and removal (their object id is
#: the ``ledger_witnesses`` row id).
WITNESS_OBJECT = "witness"


class LedgerWitness(Base):
    """A witness whose cosignatures this log accepts and counts towards its quorum."""

    __tablename__ = "ledger_witnesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    vkey: Mapped[str] = mapped_column(String(300), unique=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[str] = mapped_column(String(100))

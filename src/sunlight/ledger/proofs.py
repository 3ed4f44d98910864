"""What the log answers: inclusion and consistency proofs, entries, and proof bundles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.evidence.models import CustodyEvent
from sunlight.ledger.bundle import BUNDLE_FORMAT
from sunlight.ledger.cosign import latest_witnessed, note_with_cosignatures
from sunlight.ledger.entry import private_part
from sunlight.ledger.errors import NotFound, Rejected
from sunlight.ledger.log_identity import identity
from sunlight.ledger.models import LedgerLeaf
from sunlight.ledger.sealing import event_fields
from sunlight.ledger.stored_log import latest_checkpoint, ledger_size, tree_for
from sunlight.ledger.witness_trust import witness_keys
from sunlight.runtime import Runtime

#: Largest number of entries one /log/entries request returns.
MAX_ENTRIES = 1000


def _check_size(session: Session, size: int) -> None:
    current = ledger_size(session)
    if not 0 <= size <= current:
        raise NotFound(f"the log has {current} leaves, not {size}")


def inclusion_proof(session: Session, index: int, size: int) -> list[bytes]:
    _check_size(session, size)
    if not 0 <= index < size:
        raise Rejected("the leaf index must be smaller than the tree size")
    return tree_for(session).inclusion_proof(index, size)


def consistency_proof(session: Session, size1: int, size2: int) -> list[bytes]:
    _check_size(session, size2)
    if not 0 < size1 <= size2:
        raise Rejected("sizes must satisfy 0 < from <= to")
    return tree_for(session).consistency_proof(size1, size2)


def leaf_index_of(session: Session, digest: bytes) -> int:
    found = session.scalar(
        select(LedgerLeaf.leaf_index).where(LedgerLeaf.leaf_hash == digest).limit(1)
    )
    if found is None:
        raise NotFound("no leaf with that hash")
    return int(found)


def entries(session: Session, start: int, end: int) -> list[LedgerLeaf]:
    if start < 0 or end <= start:
        raise Rejected("need 0 <= start < end")
    end = min(end, start + MAX_ENTRIES)
    return list(
        session.scalars(
            select(LedgerLeaf)
            .where(LedgerLeaf.leaf_index >= start, LedgerLeaf.leaf_index < end)
            .order_by(LedgerLeaf.leaf_index)
        )
    )


def leaves_for_sha256(session: Session, sha256: str) -> list[LedgerLeaf]:
    return list(
        session.scalars(
            select(LedgerLeaf)
            .where(LedgerLeaf.subject_sha256 == sha256)
            .order_by(LedgerLeaf.leaf_index)
        )
    )


def leaves_for_events(session: Session, event_ids: Sequence[int]) -> dict[int, LedgerLeaf]:
    if not event_ids:
        return {}
    rows = session.scalars(select(LedgerLeaf).where(LedgerLeaf.event_id.in_(list(event_ids))))
    return {leaf.event_id: leaf for leaf in rows}


# -- proof bundles ---------------------------------------------------------------------


def ingest_event_id(session: Session, recording_id: int) -> int:
    found = session.scalar(
        select(CustodyEvent.id)
        .where(
            CustodyEvent.object_type == "recording",
            CustodyEvent.object_id == str(recording_id),
            CustodyEvent.action == "ingest",
        )
        .order_by(CustodyEvent.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(f"no ingest event for recording {recording_id}")
    return int(found)


def event_bundle(runtime: Runtime, session: Session, event_id: int) -> dict[str, Any]:
    """The proof bundle of one custody event: entry, disclosure, proof, checkpoint, keys.

    The checkpoint is the latest one cosigned by the witness quorum that contains the
    leaf, or else the latest signed one (``witnessed`` is then false).
    """
    ident = identity(runtime)
    leaf = session.scalar(select(LedgerLeaf).where(LedgerLeaf.event_id == event_id))
    if leaf is None:
        raise NotFound(f"custody event {event_id} is not sealed into the log yet")
    event = session.get(CustodyEvent, event_id)
    if event is None:
        raise NotFound(f"custody event {event_id} is missing (run `sunlight audit`)")
    checkpoint = latest_witnessed(runtime, session, min_size=leaf.leaf_index + 1)
    witnessed = checkpoint is not None
    if checkpoint is None:
        checkpoint = latest_checkpoint(session)
    if checkpoint is None or checkpoint.size <= leaf.leaf_index:
        raise NotFound("no signed checkpoint contains this event yet")
    proof = tree_for(session).inclusion_proof(leaf.leaf_index, checkpoint.size)
    return {
        "format": BUNDLE_FORMAT,
        "log": {
            "origin": ident.origin,
            "key": ident.verifier_key,
            "witnesses": witness_keys(runtime, session),
            "quorum": ident.settings.witness_quorum,
        },
        "leaf": {
            "index": leaf.leaf_index,
            "hash": leaf.leaf_hash.hex(),
            "entry": leaf.entry.decode("utf-8"),
        },
        "disclosure": {
            "salt": leaf.salt.hex(),
            "private": private_part(event_fields(event)).decode("utf-8"),
        },
        "inclusion": {"size": checkpoint.size, "proof": [p.hex() for p in proof]},
        "checkpoint": note_with_cosignatures(runtime, session, checkpoint),
        "witnessed": witnessed,
    }


def recording_bundle(runtime: Runtime, recording_id: int) -> dict[str, Any]:
    with runtime.db.session() as session:
        bundle = event_bundle(runtime, session, ingest_event_id(session, recording_id))
        bundle["recording"] = {"id": recording_id}
        return bundle

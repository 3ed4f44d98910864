"""Witness cosignatures: storing them, and which checkpoints the trusted witnesses cosigned."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.ledger.config import ledger_settings
from sunlight.ledger.errors import NotFound, Rejected
from sunlight.ledger.models import LedgerCheckpoint, LedgerCosignature
from sunlight.ledger.stored_log import latest_checkpoint
from sunlight.ledger.verify import (
    VerificationError,
    parse_checkpoint,
    parse_verifier_key,
    verify_cosignature,
)
from sunlight.ledger.witness_trust import witness_keys
from sunlight.runtime import Runtime


def cosignatures(session: Session, checkpoint: LedgerCheckpoint) -> list[LedgerCosignature]:
    return list(
        session.scalars(
            select(LedgerCosignature)
            .where(LedgerCosignature.checkpoint_id == checkpoint.id)
            .order_by(LedgerCosignature.id)
        )
    )


def _active_cosigners(runtime: Runtime, session: Session) -> set[tuple[str, str]]:
    result = set()
    for vkey in witness_keys(runtime, session):
        v = parse_verifier_key(vkey)
        result.add((v.name, v.key_id.hex()))
    return result


def witnessed_by(
    runtime: Runtime, session: Session, checkpoint: LedgerCheckpoint
) -> list[LedgerCosignature]:
    """The cosignatures on ``checkpoint`` from currently configured witnesses whose signature
    verifies over it now. A stored row is not taken on its word: its witness name and key id
    are public, so a row written straight into the table with a junk signature would
    otherwise make a checkpoint read as witnessed on /log and the release page."""
    verifiers = {
        (v.name, v.key_id.hex()): v
        for v in (parse_verifier_key(k) for k in witness_keys(runtime, session))
    }
    body = checkpoint.note[: checkpoint.note.rfind("\n\n") + 1]
    found = []
    for cosignature in cosignatures(session, checkpoint):
        verifier = verifiers.get((cosignature.witness_name, cosignature.key_id))
        if verifier is None:
            continue
        try:
            verify_cosignature(body, cosignature.signature_line, verifier)
        except VerificationError:
            continue
        found.append(cosignature)
    return found


def note_with_cosignatures(runtime: Runtime, session: Session, checkpoint: LedgerCheckpoint) -> str:
    """The signed checkpoint with the configured witnesses' cosignature lines appended."""
    lines = "".join(c.signature_line for c in witnessed_by(runtime, session, checkpoint))
    return checkpoint.note + lines


def latest_witnessed(
    runtime: Runtime, session: Session, *, min_size: int = 0
) -> LedgerCheckpoint | None:
    """The largest checkpoint of at least ``min_size`` cosigned by the witness quorum."""
    quorum = ledger_settings(runtime.settings).witness_quorum
    if quorum == 0:
        cp = latest_checkpoint(session)
        return cp if cp is not None and cp.size >= min_size else None
    active = _active_cosigners(runtime, session)
    if len(active) < quorum:
        return None
    counts = (
        select(LedgerCosignature.checkpoint_id)
        .group_by(LedgerCosignature.checkpoint_id)
        .having(func.count() >= quorum)
        .subquery()
    )
    candidates = session.scalars(
        select(LedgerCheckpoint)
        .where(LedgerCheckpoint.id.in_(select(counts.c.checkpoint_id)))
        .where(LedgerCheckpoint.size >= min_size)
        .order_by(LedgerCheckpoint.size.desc())
        .limit(50)
    ).all()
    for cp in candidates:
        if len(witnessed_by(runtime, session, cp)) >= quorum:
            return cp
    return None


def add_cosignature(runtime: Runtime, checkpoint_text: str, line: str) -> LedgerCosignature:
    """Verify and store a witness's cosignature line over one of our checkpoints."""
    try:
        cp = parse_checkpoint(checkpoint_text)
    except VerificationError as exc:
        raise Rejected(f"not a checkpoint: {exc}") from exc
    line = line if line.endswith("\n") else line + "\n"
    with runtime.db.session() as session:
        stored = session.scalar(select(LedgerCheckpoint).where(LedgerCheckpoint.size == cp.size))
        if stored is None or not stored.note.startswith(checkpoint_text + "\n"):
            raise NotFound("this log never signed that checkpoint")
        for vkey in witness_keys(runtime, session):
            verifier = parse_verifier_key(vkey)
            try:
                timestamp = verify_cosignature(checkpoint_text, line, verifier)
            except VerificationError:
                continue
            key_id = verifier.key_id.hex()
            existing = session.scalar(
                select(LedgerCosignature).where(
                    LedgerCosignature.checkpoint_id == stored.id,
                    LedgerCosignature.witness_name == verifier.name,
                    LedgerCosignature.key_id == key_id,
                )
            )
            if existing is not None:
                return existing
            row = LedgerCosignature(
                checkpoint_id=stored.id,
                witness_name=verifier.name,
                key_id=key_id,
                timestamp=timestamp,
                signature_line=line,
            )
            session.add(row)
            session.flush()
            return row
        raise Rejected("the cosignature does not verify with any configured witness key")

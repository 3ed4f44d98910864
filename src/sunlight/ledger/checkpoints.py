"""Signing checkpoints of the log, and the sealing tick of ``sunlight serve``.

Sealing and signing run under one writer lock (``pg_advisory_xact_lock`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so any number of processes can call them: there is one
sequence of leaves, without gaps or forks, and a checkpoint is only signed after checking
that it is consistent with the latest one already signed and with the checkpoint file
kept beside the key (:mod:`sunlight.ledger.state`), which a database edit cannot reach.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.ledger import state as log_state
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.errors import KeyRefused, LedgerError, SigningRefused, refuse
from sunlight.ledger.log_identity import LogIdentity, signing_identity
from sunlight.ledger.models import LedgerCheckpoint, LedgerCosignature
from sunlight.ledger.sealing import seal_pending
from sunlight.ledger.stored_log import latest_checkpoint, ledger_size, lock_writer, tree_for
from sunlight.ledger.tree import MerkleTree
from sunlight.ledger.verify import (
    EMPTY_ROOT,
    Checkpoint,
    VerificationError,
    open_checkpoint,
    sign_note,
    verify_consistency,
)
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)


DRILL = (
    "drill mode (SUNLIGHT_LEDGER_DRILL): this copy seals events but never signs a "
    "checkpoint, so it cannot fork the published log"
)


def checked_state(
    session: Session, ident: LogIdentity, *, tree: MerkleTree | None = None
) -> log_state.LogState | None:
    """The checkpoint file, checked against the database; None for an empty log.

    Raises:
        SigningRefused: (logged as an error) the database is behind or inconsistent with
            the checkpoint file, or the file is missing, damaged or a copy while the
            database holds a signed log.
    """
    ls = ident.settings
    path = ls.state_file
    confirm = (
        "fetch the latest published checkpoint (GET /log/checkpoint of the public log, or a "
        "witness's copy) and run `sunlight ledger restore-check FILE`"
    )
    latest = latest_checkpoint(session)
    try:
        state = log_state.read_state(path)
    except log_state.StateError as exc:
        raise refuse(
            f"refusing to sign: the checkpoint file is damaged ({exc}); {confirm}"
        ) from exc
    if state is None:
        if latest is None:
            return None
        raise refuse(
            f"refusing to sign: the database holds a signed log of {latest.size} entries but "
            f"this host has no checkpoint file ({path}): it may be a restored backup behind "
            f"the published log, or a new host. To allow signing, {confirm}"
        )
    if state.is_copy:
        raise refuse(
            f"refusing to sign: the checkpoint file {path} is a copy (written as inode "
            f"{state.inode}, now {state.current_inode}): this host may be a restored backup "
            f"behind the published log. To allow signing, {confirm}"
        )
    try:
        cp, _ = open_checkpoint(state.note, ident.verifier_key, origin=ident.origin)
    except VerificationError as exc:
        raise refuse(
            f"refusing to sign: the checkpoint file {path} is not signed by this log's key "
            f"{ident.verifier_key} ({exc}); {confirm}"
        ) from exc
    size = ledger_size(session)
    behind = None
    if latest is None or latest.size < cp.size:
        behind = f"checkpoints up to {latest.size} only" if latest else "no checkpoint"
    elif size < cp.size:
        behind = f"only {size} leaves"
    if behind is not None:
        raise refuse(
            f"ROLLBACK: refusing to sign: this log signed checkpoint {cp.size} (kept in "
            f"{path}) but the database holds {behind}: it was rolled back, edited, or "
            "restored from an older backup. Restore the newest database; `sunlight audit` "
            "shows what is missing"
        )
    tree = tree or tree_for(session)
    try:
        root = tree.root(cp.size) if cp.size else EMPTY_ROOT
    except KeyError:
        root = b""
    if root != cp.root_hash:
        raise refuse(
            f"FORK: refusing to sign: the database's tree of {cp.size} leaves is not the one "
            f"this log signed (kept in {path}); run `sunlight audit`"
        )
    return state


def cosignature_chain(
    session: Session, since: log_state.CosignatureChain | None
) -> log_state.CosignatureChain:
    start = since or log_state.CosignatureChain()
    rows = session.execute(
        select(
            LedgerCosignature.id, LedgerCosignature.checkpoint_id, LedgerCosignature.signature_line
        )
        .where(LedgerCosignature.id > start.through_id)
        .order_by(LedgerCosignature.id)
    )
    return start.extend((r[0], r[1], r[2]) for r in rows)


def issue_checkpoint(runtime: Runtime, *, create_key: bool = True) -> LedgerCheckpoint:
    """Sign a checkpoint of the current log, unless the latest one already covers it.

    Before signing, the latest signed checkpoint is re-derived from the stored hashes and
    a consistency proof to the new size is checked, and the checkpoint file (the latest
    checkpoint signed, beside the key) must be covered by the database: the log never
    signs a tree that does not extend what it signed before. The checkpoint file is then
    updated durably. ``create_key``: create the log key if the log is empty.

    Raises:
        SigningRefused: rollback, unconfirmed restored copy, or drill mode.
        KeyRefused, NoLogKey: this host lacks the log's key.
        LedgerError: the stored log is inconsistent with its latest checkpoint.
    """
    ls = ledger_settings(runtime.settings)
    if ls.drill:
        raise SigningRefused(DRILL)
    with runtime.db.session() as session:
        lock_writer(session)
        ident = signing_identity(runtime, session, create=create_key)
        tree = tree_for(session)
        state = checked_state(session, ident, tree=tree)
        size = ledger_size(session)
        latest = latest_checkpoint(session)
        if latest is not None and latest.size == size:
            row = latest
        else:
            row = _sign(session, ident, tree, latest, size)
        chain = cosignature_chain(session, state.cosignatures if state else None)
        # Written before the commit, while the writer lock is held: another signer never
        # sees a checkpoint row that the file does not cover yet. (A commit that fails
        # after this leaves the file ahead of the database: signing then stops, safely.)
        log_state.write_state(ls.state_file, row.note, chain)
    return row


def _sign(
    session: Session,
    ident: LogIdentity,
    tree: MerkleTree,
    latest: LedgerCheckpoint | None,
    size: int,
) -> LedgerCheckpoint:
    root = tree.root(size)
    if latest is not None:
        if latest.size > size:
            raise LedgerError(
                f"the log has {size} leaves but checkpoint {latest.size} was signed: "
                "leaves are missing (run `sunlight audit`)"
            )
        try:
            cp, _ = open_checkpoint(latest.note, ident.verifier_key, origin=ident.origin)
            if cp.size != latest.size or cp.root_hash != latest.root:
                raise VerificationError("stored checkpoint row does not match its note")
            if latest.size > 0:
                if tree.root(latest.size) != latest.root:
                    raise VerificationError("stored hashes no longer give the signed root")
                proof = tree.consistency_proof(latest.size, size)
                verify_consistency(latest.size, size, proof, latest.root, root)
        except (VerificationError, KeyError) as exc:
            raise LedgerError(
                f"refusing to sign: the log is not consistent with checkpoint {latest.size}: {exc}"
            ) from exc
    note = sign_note(
        Checkpoint(ident.origin, size, root).format_checkpoint(), ident.require_signer()
    )
    row = LedgerCheckpoint(size=size, root=root, note=note)
    session.add(row)
    session.flush()
    return row


def seal_and_checkpoint(runtime: Runtime) -> LedgerCheckpoint:
    seal_pending(runtime)
    return issue_checkpoint(runtime)


def seal_tick(runtime: Runtime) -> None:
    """What ``sunlight serve`` runs every few seconds: seal, then sign unless refused.

    A refusal (rollback, unconfirmed restore, missing or wrong key) is logged as an error
    at every tick (the alarm); a drill seals quietly without signing."""
    try:
        seal_pending(runtime)
        issue_checkpoint(runtime)
    except SigningRefused as exc:
        if str(exc) == DRILL:
            log.debug("ledger: %s", exc)
        # otherwise already logged as an error by refuse
    except KeyRefused as exc:
        log.error("ledger: %s", exc)

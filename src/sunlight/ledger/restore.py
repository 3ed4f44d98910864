"""Restoring a backup: checking that a restored copy holds the latest published checkpoint
before it may sign again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from sunlight.ledger import state as log_state
from sunlight.ledger.checkpoints import cosignature_chain
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.errors import Rejected
from sunlight.ledger.log_identity import identity
from sunlight.ledger.models import LedgerCheckpoint
from sunlight.ledger.stored_log import latest_checkpoint, ledger_size, lock_writer, tree_for
from sunlight.ledger.verify import EMPTY_ROOT, Checkpoint, VerificationError, open_checkpoint
from sunlight.runtime import Runtime


@dataclass(frozen=True)
class RestoreCheck:
    ok: bool
    message: str
    published_size: int
    local_size: int


def _log_signed_note(note: str, origin: str) -> str:
    """The note with only the log's own signature line (witness cosignatures dropped)."""
    split = note.rfind("\n\n")
    lines = [x for x in note[split + 2 :].splitlines() if x.startswith(f"\u2014 {origin} ")]
    return note[: split + 1] + "\n" + "".join(line + "\n" for line in lines)


def restore_check(runtime: Runtime, published: str, *, drill: bool = False) -> RestoreCheck:
    """Check that this copy holds ``published`` (the latest checkpoint of the public log);
    if it does, record it in the checkpoint file, which allows signing again.

    ``drill``: check and report only; write nothing.

    Raises:
        LedgerError: the checkpoint is not this log's (bad signature, other origin).
    """
    ls = ledger_settings(runtime.settings)
    ident = identity(runtime)
    try:
        cp, _ = open_checkpoint(published, ident.verifier_key, origin=ident.origin)
    except VerificationError as exc:
        raise Rejected(
            f"that is not a checkpoint signed by this log's key {ident.verifier_key}: {exc}"
        ) from exc
    with runtime.db.session() as session:
        lock_writer(session)
        size = ledger_size(session)
        tree = tree_for(session)
        target = cp
        known_note = _log_signed_note(published, ident.origin)
        try:
            current = log_state.read_state(ls.state_file)
        except log_state.StateError:
            current = None
        if current is not None:
            try:
                mine, _ = open_checkpoint(current.note, ident.verifier_key, origin=ident.origin)
                if mine.size > target.size:
                    target, known_note = mine, current.note
            except VerificationError:
                pass
        latest = latest_checkpoint(session)
        if latest is not None and latest.size > target.size:
            target = Checkpoint(ident.origin, latest.size, latest.root)
            known_note = latest.note
        if size < target.size:
            return RestoreCheck(
                False,
                f"REFUSED: the published log has {target.size} entries but this copy holds "
                f"only {size}: it lacks entries {size}..{target.size - 1}. Signing and "
                "sealing stay refused: restore a newer backup (or point this host at the "
                "live database)",
                target.size,
                size,
            )
        try:
            root = tree.root(target.size) if target.size else EMPTY_ROOT
        except KeyError:
            root = b""
        if root != target.root_hash:
            return RestoreCheck(
                False,
                f"REFUSED: this copy's tree of {target.size} entries differs from the "
                "published checkpoint (a fork): signing stays refused; run `sunlight audit`",
                target.size,
                size,
            )
        if drill:
            return RestoreCheck(
                True,
                f"drill: this copy holds the published checkpoint {cp.size} ({size} entries); "
                "nothing was written",
                cp.size,
                size,
            )
        if (
            session.scalar(select(LedgerCheckpoint.id).where(LedgerCheckpoint.size == target.size))
            is None
        ):
            # The backup was taken after sealing but before this checkpoint was stored.
            session.add(LedgerCheckpoint(size=target.size, root=target.root_hash, note=known_note))
            session.flush()
        chain = cosignature_chain(session, None)
    log_state.write_state(ls.state_file, known_note, chain, replace=True)
    return RestoreCheck(
        True,
        f"OK: this copy holds the published checkpoint {cp.size} ({size} entries); recorded "
        f"in {ls.state_file}: signing is allowed",
        cp.size,
        size,
    )

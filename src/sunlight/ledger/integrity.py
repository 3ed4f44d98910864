"""Audit checks of what the log has published that a database edit could hide:

* the **checkpoint file** beside the key (:mod:`sunlight.ledger.state`) against the
  database's checkpoints and leaves: a rollback (rows of the latest checkpoints and
  events deleted) or a fork is reported even though every remaining row is consistent;
* every stored **witness cosignature** against the configured witness keys (a changed
  row no longer verifies), and the cosignature digest kept in the checkpoint file
  against the rows (a deleted row is missing from it).

``sunlight audit`` calls :func:`findings`; :func:`signing_state` says whether this host
would sign now, and why not.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight.ledger import state as log_state
from sunlight.ledger.checkpoints import checked_state
from sunlight.ledger.errors import LedgerError, NoLogKey
from sunlight.ledger.log_identity import LogIdentity, identity
from sunlight.ledger.models import LedgerCheckpoint, LedgerCosignature
from sunlight.ledger.stored_log import ledger_size, tree_for
from sunlight.ledger.verify import (
    EMPTY_ROOT,
    NoteVerifier,
    VerificationError,
    open_checkpoint,
    parse_verifier_key,
    verify_cosignature,
)
from sunlight.ledger.witness_trust import witness_keys
from sunlight.runtime import Runtime

#: (kind, detail) of one finding; ``sunlight audit`` turns these into its own findings.
Finding = tuple[str, str]


def findings(runtime: Runtime) -> list[Finding]:
    """Rollback, fork and cosignature findings (empty when all is well)."""
    try:
        ident = identity(runtime)
    except NoLogKey:
        return []  # nothing to check signatures with; the checkpoint audit says so
    found: list[Finding] = []
    with runtime.db.session(read_only=True) as session:
        found += _checkpoint_file(session, ident)
        found += _cosignatures(runtime, session)
    return found


def signing_state(runtime: Runtime) -> str:
    """``"allowed"``, or why this host would refuse to sign now (read-only check)."""
    try:
        ident = identity(runtime)
    except NoLogKey as exc:
        return f"refused: {exc}"
    if ident.signer_key is None:
        return f"refused: this host holds no log key ({ident.settings.key_file})"
    if ident.settings.drill:
        return "refused: drill mode (SUNLIGHT_LEDGER_DRILL)"
    with runtime.db.session(read_only=True) as session:
        latest = session.scalar(
            select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        )
        if latest is not None:
            try:
                open_checkpoint(latest.note, ident.verifier_key, origin=ident.origin)
            except VerificationError:
                return (
                    f"refused: the latest checkpoint is not signed by this host's key "
                    f"{ident.verifier_key}"
                )
        try:
            checked_state(session, ident)
        except LedgerError as exc:
            return f"refused: {exc}"
    return "allowed"


def _checkpoint_file(session: Session, ident: LogIdentity) -> list[Finding]:
    path = ident.settings.state_file
    try:
        state = log_state.read_state(path)
    except log_state.StateError as exc:
        return [("rollback", f"the checkpoint file is damaged: {exc}")]
    if state is None:
        return []  # an audit-only host, or a host not confirmed yet (see signing_state)
    try:
        cp, _ = open_checkpoint(state.note, ident.verifier_key, origin=ident.origin)
    except VerificationError as exc:
        return [("rollback", f"the checkpoint file {path} is not signed by the log key: {exc}")]
    found: list[Finding] = []
    latest = session.scalar(select(func.max(LedgerCheckpoint.size)))
    if latest is None or latest < cp.size:
        found.append(
            (
                "rollback",
                f"the log signed checkpoint {cp.size} (checkpoint file {path}) but the "
                f"database's latest checkpoint is {latest if latest is not None else 'none'}: "
                "checkpoints were deleted or the database was restored from an older backup",
            )
        )
    else:
        row = session.scalar(select(LedgerCheckpoint).where(LedgerCheckpoint.size == cp.size))
        if row is None:
            found.append(
                (
                    "rollback",
                    f"checkpoint {cp.size} (checkpoint file {path}) is not in the database",
                )
            )
        elif row.root != cp.root_hash:
            found.append(
                (
                    "fork",
                    f"the database's checkpoint {cp.size} has another root than the one the "
                    f"log signed (checkpoint file {path})",
                )
            )
    size = ledger_size(session)
    if size < cp.size:
        found.append(
            (
                "rollback",
                f"the log signed checkpoint {cp.size} but the database holds only {size} "
                f"leaves: leaves {size}..{cp.size - 1} are gone",
            )
        )
    else:
        try:
            root = tree_for(session).root(cp.size) if cp.size else EMPTY_ROOT
        except KeyError:
            root = b""
        if root != cp.root_hash:
            found.append(
                (
                    "fork",
                    f"the stored tree of {cp.size} leaves is not the one the log signed "
                    f"(checkpoint file {path})",
                )
            )
    found += _cosignature_digest(session, state)
    return found


def _cosignature_digest(session: Session, state: log_state.LogState) -> list[Finding]:
    chain = state.cosignatures
    if chain.through_id <= 0:
        return []
    rows = session.execute(
        select(
            LedgerCosignature.id, LedgerCosignature.checkpoint_id, LedgerCosignature.signature_line
        )
        .where(LedgerCosignature.id <= chain.through_id)
        .order_by(LedgerCosignature.id)
        .execution_options(yield_per=5000)
    )
    again = log_state.CosignatureChain().extend((r[0], r[1], r[2]) for r in rows)
    if again.count < chain.count:
        return [
            (
                "cosignature",
                f"{chain.count - again.count} of the {chain.count} witness cosignatures "
                f"recorded in the checkpoint file (ids up to {chain.through_id}) were deleted "
                "from the database",
            )
        ]
    if again.digest != chain.digest:
        return [
            (
                "cosignature",
                f"witness cosignatures with ids up to {chain.through_id} were changed or "
                "replaced since they were recorded in the checkpoint file",
            )
        ]
    return []


def _cosignatures(runtime: Runtime, session: Session) -> list[Finding]:
    """Every stored cosignature must verify with a configured witness key."""
    verifiers: dict[tuple[str, str], NoteVerifier] = {}
    for vkey in witness_keys(runtime, session):
        v = parse_verifier_key(vkey)
        verifiers[(v.name, v.key_id.hex())] = v
    found: list[Finding] = []
    rows = session.execute(
        select(LedgerCosignature, LedgerCheckpoint.size, LedgerCheckpoint.note)
        .outerjoin(LedgerCheckpoint, LedgerCheckpoint.id == LedgerCosignature.checkpoint_id)
        .order_by(LedgerCosignature.id)
        .execution_options(yield_per=2000)
    )
    for cosig, size, note in rows:
        where = f"cosignature {cosig.id} by {cosig.witness_name}"
        if note is None:
            found.append(("cosignature", f"{where}: its checkpoint row is gone"))
            continue
        verifier = verifiers.get((cosig.witness_name, cosig.key_id))
        if verifier is None:
            found.append(
                (
                    "cosignature",
                    f"{where} on checkpoint {size}: key id {cosig.key_id} is not a configured "
                    "witness key (a forged row, or a witness removed from the settings)",
                )
            )
            continue
        body = note[: note.rfind("\n\n") + 1]
        try:
            timestamp = verify_cosignature(body, cosig.signature_line, verifier)
        except VerificationError as exc:
            found.append(("cosignature", f"{where} on checkpoint {size} does not verify: {exc}"))
            continue
        if timestamp != cosig.timestamp:
            found.append(
                (
                    "cosignature",
                    f"{where} on checkpoint {size}: the stored time {cosig.timestamp} is not "
                    f"the signed time {timestamp}",
                )
            )
    return found

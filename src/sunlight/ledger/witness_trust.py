"""The log's witnesses: which witness keys it trusts, and accepting or removing one (each
backed by a custody event sealed into the log)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.evidence import custody
from sunlight.evidence.custody import Action, Outcome
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.errors import LedgerError, NotFound, Rejected
from sunlight.ledger.models import WITNESS_OBJECT, LedgerLeaf, LedgerWitness
from sunlight.ledger.sealing import seal_pending
from sunlight.ledger.verify import NoteVerifier, VerificationError, parse_verifier_key
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)


def witness_details(verifier: NoteVerifier) -> dict[str, Any]:
    """What a witness custody event states: the key's name, key id and verifier key, and
    the key's SHA-256 (``vkey_sha256``: public in the log's entry, so anyone can match a
    witness added to the log against the keys the witnesses themselves publish)."""
    return {
        "name": verifier.name,
        "key_id": verifier.key_id.hex(),
        "vkey": verifier.vkey,
        "vkey_sha256": hashlib.sha256(verifier.vkey.encode("utf-8")).hexdigest(),
    }


def _witness_events(session: Session) -> dict[int, dict[str, Any]]:
    """What the custody events say each ``ledger_witnesses`` row must hold, by row id
    (the rows they added and did not remove since)."""
    rows = session.execute(
        select(
            CustodyEvent.action,
            CustodyEvent.object_id,
            CustodyEvent.actor,
            CustodyEvent.details,
            LedgerLeaf.leaf_index,
        )
        .outerjoin(LedgerLeaf, LedgerLeaf.event_id == CustodyEvent.id)
        .where(
            CustodyEvent.object_type == WITNESS_OBJECT,
            CustodyEvent.action.in_([str(Action.WITNESS_ADD), str(Action.WITNESS_REMOVE)]),
            CustodyEvent.outcome == str(Outcome.SUCCESS),
        )
        .order_by(CustodyEvent.id)
    ).all()
    backed: dict[int, dict[str, Any]] = {}
    for action, object_id, actor, details, leaf in rows:
        try:
            key = int(object_id)
        except ValueError:
            continue
        if action == Action.WITNESS_REMOVE:
            backed.pop(key, None)  # a removal counts at once, sealed or not
        elif isinstance(details, dict) and leaf is not None:
            # An acceptance counts only once it is sealed into the log, where anyone sees
            # it: an event row slipped in far behind the sealed ones is never sealed.
            backed[key] = {**details, "actor": actor}
    return backed


def _backed(row: LedgerWitness, stated: dict[str, Any] | None) -> bool:
    return (
        stated is not None
        and stated.get("vkey") == row.vkey
        and stated.get("name") == row.name
        and stated.get("actor") == row.added_by
    )


def stored_witnesses(session: Session) -> tuple[list[LedgerWitness], list[LedgerWitness]]:
    """The ``ledger_witnesses`` rows: (backed, unbacked). A row is *backed* when a
    ``witness.add`` custody event (not removed since) states exactly its name, verifier
    key and who added it. An unbacked row (inserted or edited in the database, behind
    Sunlight's back) is never trusted: its cosignatures do not count and the audit
    reports it."""
    stated = _witness_events(session)
    backed: list[LedgerWitness] = []
    unbacked: list[LedgerWitness] = []
    for row in session.scalars(select(LedgerWitness).order_by(LedgerWitness.id)):
        (backed if _backed(row, stated.get(row.id)) else unbacked).append(row)
    return backed, unbacked


def witness_keys(runtime: Runtime, session: Session) -> list[str]:
    """Trusted witness verifier keys: the settings list plus the witnesses accepted with
    ``ledger add-witness`` whose custody event backs their row (see
    :func:`stored_witnesses`). Every "witnessed" decision goes through this list."""
    ls = ledger_settings(runtime.settings)
    backed, _ = stored_witnesses(session)
    return list(dict.fromkeys([*ls.witnesses, *(row.vkey for row in backed)]))


def _witness_key(vkey: str) -> NoteVerifier:
    try:
        verifier = parse_verifier_key(vkey.strip())
    except VerificationError as exc:
        raise Rejected(f"not a witness verifier key: {exc}") from exc
    if verifier.sig_type != 0x04:
        raise Rejected("not a witness key: a cosignature/v1 key (type 0x04) is needed")
    return verifier


def add_witness(
    runtime: Runtime, vkey: str, *, actor: str, reason: str | None = None
) -> LedgerWitness:
    """Accept cosignatures from the witness with verifier key ``vkey``: its row and its
    ``witness.add`` custody event, in one transaction. Adding a key whose row exists but
    is not backed by an event (inserted behind Sunlight's back, or kept from a version
    that recorded no event) records the event for it: the operator vouches for it."""
    verifier = _witness_key(vkey)
    row = _add_witness(runtime, verifier, actor=actor, reason=reason)
    # The acceptance counts once sealed (see _witness_events): seal it now rather than at the
    # sealer's next tick. A host that may not seal (a restored copy not yet confirmed, a
    # drill) leaves it for the sealer; the witness counts from then on.
    try:
        seal_pending(runtime)
    except LedgerError as exc:
        log.warning("the witness %s counts once its acceptance is sealed: %s", row.name, exc)
    return row


def _add_witness(
    runtime: Runtime, verifier: NoteVerifier, *, actor: str, reason: str | None
) -> LedgerWitness:
    with runtime.db.session() as session:
        stated = _witness_events(session)
        row = session.scalar(select(LedgerWitness).where(LedgerWitness.vkey == verifier.vkey))
        if row is not None and _backed(row, stated.get(row.id)):
            return row
        if row is not None and not (reason or "").strip():
            # A stored row nobody recorded adding may have been planted: adopting it is a
            # decision the operator must explain, after checking the key with the witness.
            raise Rejected(
                f"the stored witness {verifier.name} (key SHA-256 "
                f"{hashlib.sha256(verifier.vkey.encode()).hexdigest()}) has no custody event "
                "behind it: check the key with the witness, then accept it with a reason"
            )
        if row is None:
            row = LedgerWitness(name=verifier.name, vkey=verifier.vkey, added_by=actor)
            session.add(row)
        else:
            row.name, row.added_by = verifier.name, actor
        session.flush()
        custody.record(
            session,
            actor=actor,
            action=Action.WITNESS_ADD,
            object_type=WITNESS_OBJECT,
            object_id=row.id,
            reason=reason,
            details=witness_details(verifier),
        )
        return row


def remove_witness(runtime: Runtime, vkey: str, *, actor: str, reason: str) -> LedgerWitness:
    """Stop counting the witness with verifier key ``vkey`` (its stored cosignatures stay,
    but no longer count): the row is deleted and a ``witness.remove`` event recorded.

    Raises:
        NotFound: no stored witness has that key (a key from the settings is removed there).
    """
    verifier = _witness_key(vkey)
    with runtime.db.session() as session:
        row = session.scalar(select(LedgerWitness).where(LedgerWitness.vkey == verifier.vkey))
        if row is None:
            raise NotFound(f"no stored witness has the key {verifier.vkey}")
        session.delete(row)
        session.flush()
        custody.record(
            session,
            actor=actor,
            action=Action.WITNESS_REMOVE,
            object_type=WITNESS_OBJECT,
            object_id=row.id,
            reason=reason,
            details=witness_details(verifier),
        )
        return row

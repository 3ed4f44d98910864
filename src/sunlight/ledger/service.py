"""The server side of the ledger: sealing custody events into the Merkle log, signing
checkpoints, recording witness cosignatures, and answering proof queries.

Sealing and signing run under one writer lock (``pg_advisory_xact_lock`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so any number of processes can call them: there is one
sequence of leaves, without gaps or forks, and a checkpoint is only signed after checking
that it is consistent with the latest one already signed and with the checkpoint file
kept beside the key (:mod:`sunlight.ledger.state`), which a database edit cannot reach.

Keys: a log key is created only for an empty log (no checkpoint yet); a host without the
key, or with another one, refuses to sign and names the key file to install. Read-only
paths (proofs, bundles, ``/log``, the audit) never create a key.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from sunlight import errors
from sunlight.db.base import utcnow
from sunlight.evidence import custody
from sunlight.evidence.custody import Action, Outcome
from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import state as log_state
from sunlight.ledger.bundle import BUNDLE_FORMAT
from sunlight.ledger.config import (
    LedgerSettings,
    ledger_settings,
    public_log_key,
    read_log_key,
    write_secret,
)
from sunlight.ledger.entry import (
    EventFields,
    build_entry,
    new_salt,
    private_part,
)
from sunlight.ledger.models import (
    WITNESS_OBJECT,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerLeaf,
    LedgerNode,
    LedgerWitness,
    node_key,
)
from sunlight.ledger.tree import MerkleTree, NodeId
from sunlight.ledger.verify import (
    EMPTY_ROOT,
    Checkpoint,
    NoteVerifier,
    VerificationError,
    generate_signer,
    leaf_hash,
    note_signers,
    open_checkpoint,
    parse_checkpoint,
    parse_verifier_key,
    sign_note,
    verifier_key_for,
    verify_consistency,
    verify_cosignature,
)
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)

#: Events sealed per transaction.
BATCH_SIZE = 2000
#: How far behind the newest sealed event id to look for events that committed late.
LOOKBACK_IDS = 10_000
#: Largest number of entries one /log/entries request returns.
MAX_ENTRIES = 1000

_LOCK_KEY = 0x53554E4C  # "SUNL": the advisory lock id for ledger writers on PostgreSQL
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LedgerError(errors.InvalidInput, RuntimeError):
    """The ledger refused an operation (inconsistency, unknown item, bad request)."""


class NotFound(LedgerError, errors.NotFound):
    pass


class Rejected(LedgerError):
    pass


class NoLogKey(NotFound):
    """This host holds no log key (nor a ``verifier_key`` setting) yet."""


class KeyRefused(LedgerError):
    """This host's key is missing or is not the key that signed the log: it will not sign."""


class SigningRefused(LedgerError):
    """Signing is refused: the database is behind what the log signed, this host may be a
    restored copy that was not shown the latest published checkpoint, or it is a drill."""


# -- storage ---------------------------------------------------------------------------


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


# -- the log's identity ----------------------------------------------------------------


@dataclass(frozen=True)
class LogIdentity:
    origin: str
    verifier_key: str
    settings: LedgerSettings
    signer_key: str | None = None

    def require_signer(self) -> str:
        if self.signer_key is None:
            raise NoLogKey(f"no log key at {self.settings.key_file}")
        return self.signer_key


def _identity(ls: LedgerSettings, vkey: str, skey: str | None) -> LogIdentity:
    # The key is named after the origin when it is generated; the key file wins later,
    # so that changing the setting can never make one log sign under two names.
    origin = parse_verifier_key(vkey).name
    if origin != ls.origin:
        log.warning("ledger origin setting %r differs from the key's name %r", ls.origin, origin)
    return LogIdentity(origin=origin, verifier_key=vkey, settings=ls, signer_key=skey)


def identity(runtime: Runtime) -> LogIdentity:
    """The log's identity for reading and checking: never creates a key.

    Uses the key file, or else the ``verifier_key`` setting (an audit-only host).

    Raises:
        NoLogKey: neither is there.
    """
    ls = ledger_settings(runtime.settings)
    skey = read_log_key(ls)
    vkey = verifier_key_for(skey) if skey is not None else public_log_key(ls)
    if vkey is None:
        raise NoLogKey(
            f"this host holds no log key ({ls.key_file}); the first signing of an empty log "
            "creates it (sunlight ledger init-key). On a host that only checks, set "
            "SUNLIGHT_LEDGER_VERIFIER_KEY to the published key (GET /log/key)"
        )
    return _identity(ls, vkey, skey)


def describe_signer(note: str) -> str:
    """``name`` and key id of the log signature on ``note``, for messages."""
    try:
        name, key_id = note_signers(note)[0]
    except (VerificationError, IndexError):
        return "an unreadable key"
    return f"{name} (key id {key_id.hex()})"


def _key_refused(ls: LedgerSettings, latest: LedgerCheckpoint, held: str | None) -> KeyRefused:
    having = (
        f"this host's key file {ls.key_file} holds {held}"
        if held
        else f"this host has no key file at {ls.key_file}"
    )
    return KeyRefused(
        f"refusing to sign: the database holds a log of {latest.size} entries signed by "
        f"{describe_signer(latest.note)}, and {having}. Install that log's key file at "
        f"{ls.key_file} (mode 0600, copied from the host that signs it); a host never "
        "creates a second key for an existing log"
    )


def signing_identity(runtime: Runtime, session: Session, *, create: bool) -> LogIdentity:
    """The identity to sign with, under the writer lock of ``session``.

    Creates the key only when ``create`` and the log is empty (no checkpoint yet).

    Raises:
        KeyRefused: the log was signed by a key this host does not hold.
        NoLogKey: no key, and ``create`` is false.
    """
    ls = ledger_settings(runtime.settings)
    latest = latest_checkpoint(session)
    skey = read_log_key(ls)
    if skey is None:
        if latest is not None:
            raise _key_refused(ls, latest, None)
        if not create:
            raise NoLogKey(
                f"this host holds no log key ({ls.key_file}) and the log is empty: "
                "`sunlight ledger init-key` (or the first `sunlight ledger seal`) creates it"
            )
        new_key, _ = generate_signer(ls.origin)
        if write_secret(ls.key_file, new_key + "\n"):
            log.warning("generated the ledger signing key %s for an empty log", ls.key_file)
        skey = read_log_key(ls)
        assert skey is not None
    ident = _identity(ls, verifier_key_for(skey), skey)
    if latest is not None:
        try:
            open_checkpoint(latest.note, ident.verifier_key, origin=ident.origin)
        except VerificationError:
            signers = set(_safe_signers(latest.note))
            verifier = parse_verifier_key(ident.verifier_key)
            if (verifier.name, verifier.key_id) not in signers:
                raise _key_refused(
                    ls, latest, f"{verifier.name} (key id {verifier.key_id.hex()})"
                ) from None
            # Our key, but the signature no longer verifies: the consistency checks of
            # issue_checkpoint report that as tampering.
    return ident


def _safe_signers(note: str) -> list[tuple[str, bytes]]:
    try:
        return note_signers(note)
    except VerificationError:
        return []


def init_key(runtime: Runtime) -> tuple[LogIdentity, bool]:
    """Create the log key if the log is empty and this host has none.

    Returns the identity and whether a key was created.

    Raises:
        KeyRefused: the database holds a log signed by another key (or by a key this host
            lacks).
    """
    ls = ledger_settings(runtime.settings)
    existed = ls.key_file.exists()
    with runtime.db.session() as session:
        lock_writer(session)
        ident = signing_identity(runtime, session, create=True)
    return ident, not existed


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


# -- sealing ---------------------------------------------------------------------------


def _event_fields(row: Any) -> EventFields:
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
        raise _refuse(
            f"refusing to seal: the checkpoint file {ls.state_file} is a copy: this host may "
            "be a restored backup behind the published log, and new leaves would take "
            "positions the log already filled. Fetch the latest published checkpoint (GET "
            "/log/checkpoint of the public log, or a witness's copy) and run `sunlight "
            "ledger restore-check FILE`"
        )
    if size < saved.checkpoint.size:
        raise _refuse(
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
        event = _event_fields(row)
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


# -- checkpoints -----------------------------------------------------------------------


def latest_checkpoint(session: Session) -> LedgerCheckpoint | None:
    return session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1))


DRILL = (
    "drill mode (SUNLIGHT_LEDGER_DRILL): this copy seals events but never signs a "
    "checkpoint, so it cannot fork the published log"
)


def _refuse(message: str) -> SigningRefused:
    log.error("ledger: %s", message)
    return SigningRefused(message)


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
        raise _refuse(
            f"refusing to sign: the checkpoint file is damaged ({exc}); {confirm}"
        ) from exc
    if state is None:
        if latest is None:
            return None
        raise _refuse(
            f"refusing to sign: the database holds a signed log of {latest.size} entries but "
            f"this host has no checkpoint file ({path}): it may be a restored backup behind "
            f"the published log, or a new host. To allow signing, {confirm}"
        )
    if state.is_copy:
        raise _refuse(
            f"refusing to sign: the checkpoint file {path} is a copy (written as inode "
            f"{state.inode}, now {state.current_inode}): this host may be a restored backup "
            f"behind the published log. To allow signing, {confirm}"
        )
    try:
        cp, _ = open_checkpoint(state.note, ident.verifier_key, origin=ident.origin)
    except VerificationError as exc:
        raise _refuse(
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
        raise _refuse(
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
        raise _refuse(
            f"FORK: refusing to sign: the database's tree of {cp.size} leaves is not the one "
            f"this log signed (kept in {path}); run `sunlight audit`"
        )
    return state


def _cosignature_chain(
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
        chain = _cosignature_chain(session, state.cosignatures if state else None)
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
        # otherwise already logged as an error by _refuse
    except KeyRefused as exc:
        log.error("ledger: %s", exc)


# -- restoring a backup ----------------------------------------------------------------


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
        chain = _cosignature_chain(session, None)
    log_state.write_state(ls.state_file, known_note, chain, replace=True)
    return RestoreCheck(
        True,
        f"OK: this copy holds the published checkpoint {cp.size} ({size} entries); recorded "
        f"in {ls.state_file}: signing is allowed",
        cp.size,
        size,
    )


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


# -- proofs and entries ----------------------------------------------------------------


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
            "private": private_part(_event_fields(event)).decode("utf-8"),
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


# -- periodic sealing in the web process ------------------------------------------------


__all__ = [
    "BUNDLE_FORMAT",
    "EMPTY_ROOT",
    "DbHashStore",
    "KeyRefused",
    "LedgerError",
    "NoLogKey",
    "NotFound",
    "Rejected",
    "add_cosignature",
    "add_witness",
    "consistency_proof",
    "entries",
    "event_bundle",
    "inclusion_proof",
    "issue_checkpoint",
    "latest_checkpoint",
    "latest_witnessed",
    "remove_witness",
    "restore_check",
    "seal_pending",
    "seal_tick",
    "stored_witnesses",
]

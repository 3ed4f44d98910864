"""The log's key and identity: which key signs, and when a host may create or use it.

Keys: a log key is created only for an empty log (no checkpoint yet); a host without the
key, or with another one, refuses to sign and names the key file to install. Read-only
paths (proofs, bundles, ``/log``, the audit) never create a key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sunlight.ledger.config import (
    LedgerSettings,
    ledger_settings,
    public_log_key,
    read_log_key,
    write_secret,
)
from sunlight.ledger.errors import KeyRefused, NoLogKey
from sunlight.ledger.models import LedgerCheckpoint
from sunlight.ledger.stored_log import latest_checkpoint, lock_writer
from sunlight.ledger.verify import (
    VerificationError,
    generate_signer,
    note_signers,
    open_checkpoint,
    parse_verifier_key,
    verifier_key_for,
)
from sunlight.runtime import Runtime

log = logging.getLogger(__name__)


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

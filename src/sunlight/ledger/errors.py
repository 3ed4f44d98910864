"""The ledger's errors, and how it refuses to seal or sign (logged as an error: the alarm)."""

from __future__ import annotations

import logging

from sunlight import errors

log = logging.getLogger(__name__)


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


def refuse(message: str) -> SigningRefused:
    log.error("ledger: %s", message)
    return SigningRefused(message)

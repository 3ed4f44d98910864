"""Ledger settings and the log's signing key.

Settings (first found wins): ``Settings.extra["ledger"]`` (programmatic), environment
variables ``SUNLIGHT_LEDGER_*``, the ``[sunlight.ledger]`` table of the ``SUNLIGHT_CONFIG``
TOML file, then defaults:

==================  ====================================  =====================================
setting             environment variable                  default
==================  ====================================  =====================================
origin              SUNLIGHT_LEDGER_ORIGIN                ``<site>.<department>/custody``
key_file            SUNLIGHT_LEDGER_KEY_FILE              ``SUNLIGHT_HOME/keys/ledger.key``
checkpoint_file     SUNLIGHT_LEDGER_CHECKPOINT_FILE       beside the key: ``ledger.checkpoint``
verifier_key        SUNLIGHT_LEDGER_VERIFIER_KEY          none (public key, audit-only hosts)
drill               SUNLIGHT_LEDGER_DRILL                 false (a restore drill: never sign)
witnesses           SUNLIGHT_LEDGER_WITNESSES (comma)     none (add with ``ledger add-witness``)
witness_quorum      SUNLIGHT_LEDGER_WITNESS_QUORUM        1
seal_interval_s     SUNLIGHT_LEDGER_SEAL_INTERVAL_S       10
==================  ====================================  =====================================

The log key is generated only for an empty log (the first signing, or ``sunlight ledger
init-key``), written with mode 0600, and never rewritten. Its name is the log's origin.
Every host that signs for one log must hold the same key file: a host without it refuses
to sign (and says which key to install) rather than create a second key for an existing
log. Read-only commands never create a key; an audit-only host may set ``verifier_key``.

The checkpoint file beside the key holds the latest checkpoint this host signed (see
:mod:`sunlight.ledger.state`): the log never signs anything smaller or inconsistent.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sunlight.config import ConfigError, Settings
from sunlight.ledger.verify import VerificationError, parse_verifier_key, verifier_key_for

# Re-exported: the log's key files use the same helpers as the witness's.
from sunlight_verify.keyfile import read_secret as read_secret
from sunlight_verify.keyfile import write_secret as write_secret

log = logging.getLogger(__name__)

ENV = "SUNLIGHT_LEDGER_"


@dataclass(frozen=True)
class LedgerSettings:
    origin: str
    key_file: Path
    witnesses: tuple[str, ...] = ()
    witness_quorum: int = 1
    seal_interval_s: float = 10.0
    checkpoint_file: Path | None = None
    verifier_key: str | None = None
    drill: bool = False

    @property
    def state_file(self) -> Path:
        """The checkpoint file: ``checkpoint_file``, or ``ledger.checkpoint`` beside the key."""
        return self.checkpoint_file or self.key_file.with_suffix(".checkpoint")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "sunlight"


def _file_values() -> dict[str, Any]:
    path = os.environ.get("SUNLIGHT_CONFIG")
    if not path:
        return {}
    try:
        with open(path, "rb") as fh:
            table = tomllib.load(fh).get("sunlight", {}).get("ledger", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    return dict(table) if isinstance(table, dict) else {}


def ledger_settings(settings: Settings) -> LedgerSettings:
    extra = settings.extra.get("ledger", {}) if isinstance(settings.extra, dict) else {}
    file_values = _file_values()

    def get(name: str) -> Any:
        if name in extra:
            return extra[name]
        env = os.environ.get(ENV + name.upper())
        if env not in (None, ""):
            return env
        return file_values.get(name)

    origin = str(
        get("origin") or f"{_slug(settings.site_name)}.{_slug(settings.department)}/custody"
    )
    key_file = Path(get("key_file") or settings.home / "keys" / "ledger.key").expanduser()
    raw_witnesses = get("witnesses") or ()
    if isinstance(raw_witnesses, str):
        raw_witnesses = [w for w in re.split(r"[,\s]+", raw_witnesses) if w]
    try:
        quorum = int(get("witness_quorum") if get("witness_quorum") is not None else 1)
        interval = float(get("seal_interval_s") or 10.0)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"malformed ledger setting: {exc}") from exc
    if quorum < 0:
        raise ConfigError("ledger witness_quorum must be >= 0")
    checkpoint_file = get("checkpoint_file")
    vkey = get("verifier_key")
    if vkey:
        try:
            parse_verifier_key(str(vkey).strip())
        except VerificationError as exc:
            raise ConfigError(f"ledger verifier_key: {exc}") from exc
    drill = get("drill")
    if isinstance(drill, str):
        drill = drill.strip().lower() in {"1", "true", "yes", "on"}
    return LedgerSettings(
        origin=origin,
        key_file=key_file,
        witnesses=tuple(str(w) for w in raw_witnesses),
        witness_quorum=quorum,
        seal_interval_s=interval,
        checkpoint_file=Path(checkpoint_file).expanduser() if checkpoint_file else None,
        verifier_key=str(vkey).strip() if vkey else None,
        drill=bool(drill),
    )


def read_log_key(ls: LedgerSettings) -> str | None:
    """The log's signer key from ``key_file``, or None when this host has none.

    Never creates a key (see :func:`sunlight.ledger.log_identity.init_key`)."""
    if not ls.key_file.exists():
        return None
    return read_secret(ls.key_file)


def public_log_key(ls: LedgerSettings) -> str | None:
    """The log's verifier key: from the key file, else the ``verifier_key`` setting."""
    skey = read_log_key(ls)
    if skey is None:
        return ls.verifier_key
    vkey = verifier_key_for(skey)
    if ls.verifier_key and ls.verifier_key != vkey:
        raise ConfigError(
            f"the ledger verifier_key setting ({ls.verifier_key}) is not the key in "
            f"{ls.key_file} ({vkey})"
        )
    return vkey

"""Offline checker for Sunlight proof bundles: no network, no database.

Like :mod:`sunlight_verify.tlog`, which does all the cryptography, this module uses only
the standard library and ``cryptography``, and is meant to be read in one sitting.

A proof bundle (``sunlight ledger export-proof``, ``GET /api/recordings/{id}/proof``) is a
JSON object::

    {
      "format": "sunlight-proof-bundle/v1",
      "log": {"origin": "...", "key": "<verifier key>", "witnesses": ["<vkey>", ...],
              "quorum": 1},
      "leaf": {"index": 41, "hash": "<hex>", "entry": "<canonical JSON of the entry>"},
      "disclosure": {"salt": "<hex>", "private": "<canonical JSON of the private fields>"},
      "inclusion": {"size": 57, "proof": ["<hex>", ...]},
      "checkpoint": "<signed checkpoint note with witness cosignatures>",
      "witnessed": true
    }

Checking it proves: the checkpoint is signed by the log key and cosigned by ``quorum`` of
the witness keys; the entry is leaf ``index`` of that tree (RFC 9162 inclusion proof); and,
when a disclosure is present, that the disclosed private fields are the ones the entry
committed to.

Keys found in the bundle are only as good as the bundle: a rogue log can hand out a bundle
carrying its own key, its own witness and ``quorum: 0``. So the checker trusts only the
keys its caller pins: the log's published key (``log_key``, served at ``/log/key``) and,
where a quorum is required, the witnesses' keys (``witness_keys``, listed at
``/log/witnesses``). The bundle can raise the number of cosignatures required, never
lower a pinned one, and its own witness list is ignored. ``trust_bundle_keys`` accepts the
bundle's keys instead, for tests only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from sunlight_verify.tlog import (
    SIG_TYPE_COSIGNATURE_V1,
    VerificationError,
    leaf_hash,
    open_checkpoint,
    verify_inclusion,
)

__all__ = ["BUNDLE_FORMAT", "KEY_HINT", "WITNESS_HINT", "BundleReport", "check_bundle"]

BUNDLE_FORMAT = "sunlight-proof-bundle/v1"


@dataclass
class BundleReport:
    """What a verified bundle proves."""

    origin: str
    leaf_index: int
    tree_size: int
    entry: dict[str, Any]
    witnesses: list[str]
    private: dict[str, Any] | None = None
    keys_from_bundle: list[str] = field(default_factory=list)


def _field(obj: Any, key: str, kind: type) -> Any:
    if not isinstance(obj, dict) or key not in obj or not isinstance(obj[key], kind):
        raise VerificationError(f"bundle field {key!r} is missing or not a {kind.__name__}")
    value = obj[key]
    if kind is int and isinstance(value, bool):
        raise VerificationError(f"bundle field {key!r} is not an integer")
    return value


def _hex32(value: Any, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 32 or raw.hex() != value:
        raise VerificationError(f"{what} must be 64 lowercase hex digits")
    return raw


#: Where a log publishes the keys to pin (paths on the log's server).
KEY_HINT = (
    "pin the log's published key with --log-key (GET /log/key on the log's server, also "
    "shown on its /log page)"
)
WITNESS_HINT = (
    "pin the witness keys with --witness-key (listed at GET /log/witnesses on the log's "
    "server; check them with the witnesses themselves), or accept an unwitnessed "
    "checkpoint with --min-witnesses 0"
)


def check_bundle(
    bundle: dict[str, Any],
    *,
    log_key: str | None = None,
    witness_keys: list[str] | None = None,
    min_witnesses: int | None = None,
    file_sha256: str | None = None,
    trust_bundle_keys: bool = False,
) -> BundleReport:
    """Verify a proof bundle; return what it proves.

    ``log_key`` and ``witness_keys`` pin the published keys; a log key is required.
    ``min_witnesses`` pins the cosignatures required; by default, the bundle's quorum but
    at least one. The bundle's own keys are used only with ``trust_bundle_keys`` (for
    testing; reported in ``keys_from_bundle``), and then its quorum is the default.
    With ``file_sha256``, the entry must name exactly that SHA-256.

    Raises:
        VerificationError: if anything does not verify, or no log key is pinned.
    """
    if _field(bundle, "format", str) != BUNDLE_FORMAT:
        raise VerificationError(f"not a {BUNDLE_FORMAT} document")
    log = _field(bundle, "log", dict)
    leaf = _field(bundle, "leaf", dict)
    inclusion = _field(bundle, "inclusion", dict)
    note = _field(bundle, "checkpoint", str)
    origin = _field(log, "origin", str)

    claimed_quorum = _field(log, "quorum", int)
    from_bundle = []
    if log_key is None:
        if not trust_bundle_keys:
            raise VerificationError(
                f"no log key pinned: the bundle names log {origin!r} and carries the key "
                f"{log.get('key')!r}, which proves nothing by itself; {KEY_HINT}"
            )
        log_key = _field(log, "key", str)
        from_bundle.append("log key")
    if witness_keys is None:
        if trust_bundle_keys:
            witness_keys = _field(log, "witnesses", list)
            from_bundle.append("witness keys")
        else:
            witness_keys = []
    if min_witnesses is None:
        min_witnesses = claimed_quorum if trust_bundle_keys else max(claimed_quorum, 1)
    if not all(isinstance(k, str) for k in witness_keys):
        raise VerificationError("witness keys must be strings")
    if min_witnesses > len(set(witness_keys)):
        raise VerificationError(
            f"{min_witnesses} witness cosignatures are required but "
            f"{len(set(witness_keys))} witness keys are pinned: {WITNESS_HINT}"
        )

    # 1. The checkpoint: signed by the log, cosigned by enough witnesses, for this origin.
    checkpoint, signatures = open_checkpoint(
        note, log_key, witness_keys, min_cosignatures=min_witnesses, origin=origin
    )
    cosigners = sorted({s.name for s in signatures if s.sig_type == SIG_TYPE_COSIGNATURE_V1})

    # 2. The entry is the leaf: hash it ourselves.
    entry_text = _field(leaf, "entry", str)
    index = _field(leaf, "index", int)
    digest = leaf_hash(entry_text.encode("utf-8"))
    if not hmac.compare_digest(digest, _hex32(_field(leaf, "hash", str), "leaf hash")):
        raise VerificationError("the entry does not hash to the leaf hash")

    # 3. The leaf is in the checkpoint's tree.
    if _field(inclusion, "size", int) != checkpoint.size:
        raise VerificationError("the inclusion proof is not for the checkpoint's tree size")
    proof = [_hex32(p, "proof element") for p in _field(inclusion, "proof", list)]
    verify_inclusion(digest, index, checkpoint.size, proof, checkpoint.root_hash)

    # 4. What the entry says, and the private fields it commits to.
    try:
        entry = json.loads(entry_text)
    except ValueError as exc:
        raise VerificationError("the entry is not JSON") from exc
    if not isinstance(entry, dict):
        raise VerificationError("the entry is not a JSON object")
    private = None
    disclosure = bundle.get("disclosure")
    if disclosure is not None:
        salt = _field(disclosure, "salt", str)
        text = _field(disclosure, "private", str)
        try:
            salt_bytes = bytes.fromhex(salt)
        except ValueError as exc:
            raise VerificationError("the salt is not hex") from exc
        commitment = hashlib.sha256(salt_bytes + text.encode("utf-8")).hexdigest()
        if not hmac.compare_digest(commitment, str(entry.get("private", ""))):
            raise VerificationError("the disclosed private fields do not match the entry")
        private = json.loads(text)

    if file_sha256 is not None:
        hashes = entry.get("hashes")
        named = hashes.get("sha256") if isinstance(hashes, dict) else None
        if named != file_sha256:
            raise VerificationError("the entry does not name this file's SHA-256")

    return BundleReport(
        origin=origin,
        leaf_index=index,
        tree_size=checkpoint.size,
        entry=entry,
        witnesses=cosigners,
        private=private,
        keys_from_bundle=from_bundle,
    )

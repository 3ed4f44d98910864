"""Offline verifier for Sunlight's tamper-evident log.

This module is meant to be read and audited in one sitting. It depends only on the Python
standard library and on ``cryptography`` (for Ed25519), and it never touches a network or a
database: everything it needs is passed in as arguments.

It implements four published formats, and nothing Sunlight-specific:

1. **Merkle tree hashing** -- RFC 9162 (Certificate Transparency 2.0), section 2.1:
   https://www.rfc-editor.org/rfc/rfc9162#section-2.1 . Leaves and interior nodes are
   hashed with distinct one-byte prefixes so that a leaf can never be passed off as a node.
2. **Inclusion and consistency proof verification** -- RFC 9162 sections 2.1.3.2 and
   2.1.4.2, the exact algorithms printed there.
3. **Signed notes and checkpoints** -- https://c2sp.org/signed-note and
   https://c2sp.org/tlog-checkpoint , byte-compatible with Go's
   ``golang.org/x/mod/sumdb/note`` package (Ed25519 keys, signature type 0x01).
4. **Witness cosignatures** -- https://c2sp.org/tlog-cosignature , the Ed25519
   ``cosignature/v1`` type (signature type 0x04).

Every failed check raises :class:`VerificationError` (a ``ValueError``); a verification
function that returns normally has verified what its docstring says. The module also holds
the matching signing helpers (:func:`sign_note`, :func:`cosign_checkpoint`, key
generation), so that signer and verifier share one implementation of each format; they
raise plain ``ValueError`` for invalid arguments.

RFC 9162 leaves two edge cases of consistency proofs open (equal sizes, an empty first
tree); there this module follows the transparency-dev/merkle reference vectors, as noted
in :func:`verify_consistency`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "SIG_TYPE_COSIGNATURE_V1",
    "SIG_TYPE_ED25519",
    "Checkpoint",
    "NoteSignature",
    "NoteVerifier",
    "VerificationError",
    "compute_key_id",
    "cosign_checkpoint",
    "generate_signer",
    "generate_witness_signer",
    "leaf_hash",
    "node_hash",
    "note_signers",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_verifier_key",
    "root_from_leaf_hashes",
    "sign_note",
    "verifier_key_for",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
]


class VerificationError(ValueError):
    """A proof, signature, note or checkpoint failed verification or is malformed."""


# ---------------------------------------------------------------------------------------
# 1. Merkle tree hashing (RFC 9162 section 2.1.1)
# ---------------------------------------------------------------------------------------

#: Size in bytes of every hash in the tree (SHA-256).
HASH_SIZE = 32

#: The root of the empty tree: MTH({}) = SHA-256() (RFC 9162 section 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Largest tree size / index representable in the formats we verify (uint64).
_MAX_UINT64 = 2**64 - 1


def leaf_hash(entry: bytes) -> bytes:
    """Return the Merkle leaf hash of ``entry``: SHA-256(0x00 || entry).

    RFC 9162 section 2.1.1. The 0x00 prefix (versus 0x01 for interior nodes) gives second
    preimage resistance: no interior node hash is also a valid leaf hash.
    """
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the hash of an interior node: SHA-256(0x01 || left || right).

    RFC 9162 section 2.1.1.
    """
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (``n`` >= 2).

    This is the ``k`` of RFC 9162 section 2.1.1: the split point between the left
    (complete, perfectly balanced) and the right subtree.
    """
    return 1 << ((n - 1).bit_length() - 1)


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle Tree Hash (MTH) of a list of leaf hashes.

    A direct transcription of the recursive definition in RFC 9162 section 2.1.1::

        MTH({})      = SHA-256()
        MTH({d(0)})  = leaf hash of d(0)          (here: the leaf hash itself)
        MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))
                       where k is the largest power of two smaller than n

    It reads every leaf, so it is O(n); it exists as the reference that the fast,
    server-side code in :mod:`sunlight.ledger.tree` is tested against, and for auditors
    who hold the full list of entries.
    """
    for h in leaf_hashes:
        _check_hash(h, "leaf hash")
    if not leaf_hashes:
        return EMPTY_ROOT

    def mth(start: int, end: int) -> bytes:
        # Work on index ranges rather than list slices so no leaf list is ever copied.
        n = end - start
        if n == 1:
            return leaf_hashes[start]
        k = _largest_power_of_two_below(n)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth(0, len(leaf_hashes))


# ---------------------------------------------------------------------------------------
# 2. Proof verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2)
# ---------------------------------------------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    """Reject anything that is not a 32-byte hash (a truncated or padded proof element)."""
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        raise VerificationError(f"{what} must be {HASH_SIZE} bytes")


def _check_uint64(value: int, what: str) -> None:
    """Reject sizes and indexes that are not uint64 values, as in the wire formats."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_UINT64:
        raise VerificationError(f"{what} must be an integer in [0, 2^64)")


def _equal(a: bytes, b: bytes) -> bool:
    # Hashes here are public, so constant-time comparison is not strictly needed; it is
    # used anyway so that nobody has to think about it.
    return hmac.compare_digest(a, b)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Verify that ``leaf_hash`` is leaf number ``index`` of the tree with ``root``.

    Implements RFC 9162 section 2.1.3.2 step by step. ``proof`` is the audit path ordered
    from the leaf upwards, as produced by RFC 9162 section 2.1.3.1 ``PATH(m, D[n])``.

    Note that an inclusion proof alone does not bind ``tree_size`` strongly: the same
    proof can verify for several sizes whose trees have the same shape along the path.
    The (size, root) pair must come from a signed checkpoint, which binds them together.

    Raises:
        VerificationError: if the proof does not verify, or any input is malformed.
    """
    _check_uint64(index, "leaf index")
    _check_uint64(tree_size, "tree size")
    _check_hash(leaf_hash, "leaf hash")
    _check_hash(root, "root hash")
    for p in proof:
        _check_hash(p, "proof element")

    # Step 1: the index must be inside the tree.
    if index >= tree_size:
        raise VerificationError("leaf index is not smaller than the tree size")

    # Step 2: fn is the leaf's position, sn the position of the last leaf. Walking up the
    # tree both are shifted right; when fn == sn the path runs along the right edge.
    fn, sn = index, tree_size - 1
    # Step 3.
    r = leaf_hash
    # Step 4.
    for p in proof:
        # 4a: a proof longer than the path to the root.
        if sn == 0:
            raise VerificationError("inclusion proof is too long")
        # 4b: p is a left sibling when fn is a right child, or when fn is on the right
        # edge (fn == sn) and so has no right sibling at this level.
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # If fn was on the right edge (not a right child), skip the levels where that
            # edge node has no sibling: it is promoted unchanged in a tree whose size is
            # not a power of two. (The loop does nothing when fn is a right child.)
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        # 4c.
        fn >>= 1
        sn >>= 1

    # Step 5: the proof must reach the root exactly, and produce the expected hash.
    if sn != 0:
        raise VerificationError("inclusion proof is too short")
    if not _equal(r, root):
        raise VerificationError("inclusion proof does not lead to the root hash")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Verify that the tree (``size2``, ``root2``) is an append-only extension of
    (``size1``, ``root1``).

    Implements RFC 9162 section 2.1.4.2 for ``0 < size1 < size2``. ``proof`` is as
    produced by RFC 9162 section 2.1.4.1 ``PROOF(m, D[n])``.

    Edge cases, matching the transparency-dev/merkle reference vectors:

    * ``size1 > size2``: rejected (a log cannot shrink).
    * ``size1 == 0``: rejected, even when ``size2 == 0``. Every tree extends the empty
      tree, so such a "proof" proves nothing; the reference vectors require an error,
      which also stops a caller from mistaking it for a real check.
    * ``size1 == size2``: accepted exactly when the proof is empty and the two roots are
      byte-for-byte equal. The roots are only compared, not length-checked (a vector
      requires accepting equal 12-byte "roots"); the roots are trusted only via a
      signed checkpoint anyway.

    Raises:
        VerificationError: if the proof does not verify, or any input is malformed.
    """
    _check_uint64(size1, "size1")
    _check_uint64(size2, "size2")
    if size1 > size2:
        raise VerificationError("size1 is larger than size2")
    if size1 == 0:
        raise VerificationError("a consistency proof from the empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise VerificationError("sizes are equal but the proof is not empty")
        if not _equal(root1, root2):
            raise VerificationError("sizes are equal but the roots differ")
        return

    _check_hash(root1, "root1")
    _check_hash(root2, "root2")
    for p in proof:
        _check_hash(p, "proof element")

    # Step 1.
    if not proof:
        raise VerificationError("consistency proof is empty")
    path = list(proof)
    # Step 2: when size1 is a power of two, the old tree is a complete subtree of the new
    # one and its root is not repeated in the proof; start from it.
    if size1 & (size1 - 1) == 0:
        path.insert(0, root1)
    # Step 3.
    fn, sn = size1 - 1, size2 - 1
    # Step 4: path[0] (the "seed") is the largest complete subtree ending at leaf
    # size1 - 1. Climb to its level: while fn is a right child, its parent is still
    # inside the seed subtree.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # Step 5: fr rebuilds the old root, sr the new root, both from the same seed.
    fr = sr = path[0]
    # Step 6.
    for c in path[1:]:
        # 6a.
        if sn == 0:
            raise VerificationError("consistency proof is too long")
        # 6b.
        if fn & 1 or fn == sn:
            # c is a left sibling: it belongs to both the old and the new tree.
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # As in verify_inclusion: skip the levels with no sibling on the right edge.
            while fn != 0 and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            # c is a right sibling: it holds only leaves appended after size1.
            sr = node_hash(sr, c)
        # 6c.
        fn >>= 1
        sn >>= 1

    # Step 7.
    if sn != 0:
        raise VerificationError("consistency proof is too short")
    if not _equal(fr, root1):
        raise VerificationError("consistency proof does not lead to root1")
    if not _equal(sr, root2):
        raise VerificationError("consistency proof does not lead to root2")


# ---------------------------------------------------------------------------------------
# 3. Keys (https://c2sp.org/signed-note, "Signatures" and "Signature types")
# ---------------------------------------------------------------------------------------

#: Signature type of a plain Ed25519 note signature (c2sp.org/signed-note).
SIG_TYPE_ED25519 = 0x01
#: Signature type of a timestamped Ed25519 witness cosignature (c2sp.org/tlog-cosignature).
SIG_TYPE_COSIGNATURE_V1 = 0x04

_SUPPORTED_SIG_TYPES = (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1)

# Prefix of signer (private) keys, as in Go's note.NewSigner. It makes a leaked private key
# obvious and stops it from being parsed as a verifier key.
_SIGNER_KEY_PREFIX = "PRIVATE+KEY+"

# c2sp.org/signed-note: clients MUST accept at least 16 signatures and SHOULD set a
# limit. 100 is Go's limit.
_MAX_SIGNATURES = 100

_HEX8 = re.compile(r"[0-9a-fA-F]{8}")


def compute_key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """Return the 4-byte key ID: SHA-256(name || 0x0A || sig_type || public_key)[:4].

    c2sp.org/signed-note, "Signatures". The signature type byte is part of the hash, so
    the same Ed25519 key used as a log key (0x01) and as a witness key (0x04) gets two
    different IDs.
    """
    material = name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _is_valid_key_name(name: str) -> bool:
    """Key names must be non-empty, without Unicode spaces or '+' (c2sp.org/signed-note).

    Control characters are also refused: they may not appear in a note at all.
    """
    return (
        name != ""
        and "+" not in name
        and not any(c.isspace() or ord(c) < 0x20 for c in name)
        and _is_utf8_encodable(name)
    )


def _is_utf8_encodable(s: str) -> bool:
    # A Python str may hold lone surrogates, which are not valid UTF-8.
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _b64decode_canonical(text: str, what: str) -> bytes:
    """Decode standard base64 (RFC 4648 section 4) and insist on the canonical encoding.

    Non-canonical encodings (non-zero padding bits, missing padding, stray characters)
    are rejected, so every byte of a signature line matters: a changed character can
    never decode to the same signature. (Go's decoder is more lenient about padding bits.)
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error) as exc:
        raise VerificationError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True)
class NoteVerifier:
    """A parsed verifier (public) key: ``name+hex8(key ID)+base64(type || public key)``.

    Attributes:
        name: the key name, e.g. ``sunlight.example/log``.
        key_id: the 4-byte key ID (see :func:`compute_key_id`).
        sig_type: :data:`SIG_TYPE_ED25519` for note signatures or
            :data:`SIG_TYPE_COSIGNATURE_V1` for witness cosignatures.
        public_key: the 32-byte Ed25519 public key.
    """

    name: str
    key_id: bytes
    sig_type: int
    public_key: bytes

    @property
    def vkey(self) -> str:
        """This key in the text format accepted by :func:`parse_verifier_key`."""
        encoded = base64.b64encode(bytes([self.sig_type]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> NoteVerifier:
    """Parse a verifier key string, as Go's ``note.NewVerifier`` does.

    Format: ``<name>+<8 hex digits of key ID>+<base64(type byte || 32-byte key)>``. The
    key ID is recomputed and must match, and the type must be 0x01 or 0x04.

    Raises:
        VerificationError: if the string is malformed.
    """
    # Split at the first two '+': the name may not contain '+', base64 may.
    name, sep1, rest = vkey.partition("+")
    hex_id, sep2, b64 = rest.partition("+")
    if not sep1 or not sep2 or not _is_valid_key_name(name) or not _HEX8.fullmatch(hex_id):
        raise VerificationError("malformed verifier key")
    key = _b64decode_canonical(b64, "verifier key")
    if len(key) != 1 + 32:
        raise VerificationError("verifier key must be a type byte and a 32-byte key")
    sig_type, public_key = key[0], key[1:]
    if sig_type not in _SUPPORTED_SIG_TYPES:
        raise VerificationError(f"unsupported verifier key type 0x{sig_type:02x}")
    key_id = bytes.fromhex(hex_id)
    if key_id != compute_key_id(name, sig_type, public_key):
        raise VerificationError("verifier key ID does not match the key")
    try:
        Ed25519PublicKey.from_public_bytes(public_key)  # fail early on an unusable key
    except ValueError as exc:
        raise VerificationError("verifier key is not a valid Ed25519 public key") from exc
    return NoteVerifier(name=name, key_id=key_id, sig_type=sig_type, public_key=public_key)


@dataclass(frozen=True)
class _Signer:
    name: str
    key_id: bytes
    sig_type: int
    private_key: Ed25519PrivateKey


def _parse_signer_key(skey: str) -> _Signer:
    """Parse ``PRIVATE+KEY+<name>+<hex8 key ID>+<base64(type || 32-byte seed)>``."""
    if not skey.startswith(_SIGNER_KEY_PREFIX):
        raise ValueError("malformed signer key")
    name, sep1, rest = skey[len(_SIGNER_KEY_PREFIX) :].partition("+")
    hex_id, sep2, b64 = rest.partition("+")
    if not sep1 or not sep2 or not _is_valid_key_name(name) or not _HEX8.fullmatch(hex_id):
        raise ValueError("malformed signer key")
    try:
        key = _b64decode_canonical(b64, "signer key")
    except VerificationError as exc:
        raise ValueError("malformed signer key") from exc
    if len(key) != 1 + 32 or key[0] not in _SUPPORTED_SIG_TYPES:
        raise ValueError("signer key must be a supported type byte and a 32-byte seed")
    private_key = Ed25519PrivateKey.from_private_bytes(key[1:])
    key_id = bytes.fromhex(hex_id)
    # The ID hashes the public key, so it can only be checked after deriving it.
    if key_id != compute_key_id(name, key[0], private_key.public_key().public_bytes_raw()):
        raise ValueError("signer key ID does not match the key")
    return _Signer(name=name, key_id=key_id, sig_type=key[0], private_key=private_key)


def _format_keys(name: str, sig_type: int, private_key: Ed25519PrivateKey) -> tuple[str, str]:
    if not _is_valid_key_name(name):
        raise ValueError("key names must be non-empty, without spaces or '+'")
    public = private_key.public_key().public_bytes_raw()
    key_id = compute_key_id(name, sig_type, public).hex()
    seed = private_key.private_bytes_raw()
    skey = f"{_SIGNER_KEY_PREFIX}{name}+{key_id}+" + base64.b64encode(
        bytes([sig_type]) + seed
    ).decode("ascii")
    vkey = f"{name}+{key_id}+" + base64.b64encode(bytes([sig_type]) + public).decode("ascii")
    return skey, vkey


def generate_signer(name: str) -> tuple[str, str]:
    """Generate an Ed25519 note key pair; return ``(signer_key, verifier_key)``.

    The formats are those of Go's ``note.GenerateKey``. The signer key is secret.
    """
    return _format_keys(name, SIG_TYPE_ED25519, Ed25519PrivateKey.generate())


def generate_witness_signer(name: str) -> tuple[str, str]:
    """Generate an Ed25519 witness (cosigner) key pair; return ``(signer, verifier)``.

    Same text formats as :func:`generate_signer`, with type byte 0x04, which
    c2sp.org/tlog-cosignature assigns to ``cosignature/v1`` (so the key ID differs).
    """
    return _format_keys(name, SIG_TYPE_COSIGNATURE_V1, Ed25519PrivateKey.generate())


def verifier_key_for(signer_key: str) -> str:
    """Return the verifier key matching a signer key."""
    signer = _parse_signer_key(signer_key)
    return _format_keys(signer.name, signer.sig_type, signer.private_key)[1]


# ---------------------------------------------------------------------------------------
# 4. Signed notes (https://c2sp.org/signed-note, "Format")
# ---------------------------------------------------------------------------------------

# Every signature line starts with an em dash (U+2014) and a space.
_SIG_LINE_PREFIX = "\u2014 "


@dataclass(frozen=True)
class NoteSignature:
    """A signature line of a note that was verified with a known key.

    Attributes:
        name: the key name on the signature line.
        key_id: the 4-byte key ID on the signature line.
        sig_type: the type of the verifying key (0x01 or 0x04).
        timestamp: for a cosignature (0x04), the POSIX time the witness put in it;
            ``None`` for a plain note signature.
    """

    name: str
    key_id: bytes
    sig_type: int
    timestamp: int | None


def _check_note_text(text: str) -> None:
    """The text of a note must end in a newline and contain no control characters
    other than newline (c2sp.org/signed-note, "Format")."""
    if not text.endswith("\n"):
        raise ValueError("note text must end with a newline")
    if not _is_utf8_encodable(text) or any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ValueError("note text must be UTF-8 without control characters")


def _signature_line(name: str, payload: bytes) -> str:
    return f"{_SIG_LINE_PREFIX}{name} {base64.b64encode(payload).decode('ascii')}\n"


def sign_note(text: str, signer_key: str) -> str:
    """Sign ``text`` with an Ed25519 note key and return the signed note.

    The result is ``text``, a blank line, and one signature line
    ``— <name> base64(key ID || Ed25519 signature over text)``, byte-identical to what Go's
    ``note.Sign`` produces. ``text`` must end with a newline. To add further signatures
    (e.g. witness cosignatures), append their lines to the returned note.

    Raises:
        ValueError: if the text or the key is malformed, or the key is a witness key.
    """
    _check_note_text(text)
    signer = _parse_signer_key(signer_key)
    if signer.sig_type != SIG_TYPE_ED25519:
        raise ValueError("sign_note needs an Ed25519 note key (type 0x01)")
    signature = signer.private_key.sign(text.encode("utf-8"))
    return text + "\n" + _signature_line(signer.name, signer.key_id + signature)


def _split_signature_line(line: str) -> tuple[str, bytes, bytes]:
    """Parse ``— <name> <base64>`` (no newline) into (name, key ID, signature payload)."""
    if not line.startswith(_SIG_LINE_PREFIX):
        raise VerificationError("malformed note: signature line without em dash prefix")
    name, sep, b64 = line[len(_SIG_LINE_PREFIX) :].partition(" ")
    if not sep or not _is_valid_key_name(name):
        raise VerificationError("malformed note: bad key name in signature line")
    raw = _b64decode_canonical(b64, "signature")
    if len(raw) < 5:
        raise VerificationError("malformed note: signature too short")
    return name, raw[:4], raw[4:]


def _cosignature_message(timestamp: int, text: bytes) -> bytes:
    """The message an Ed25519 cosigner signs (c2sp.org/tlog-cosignature,
    "Ed25519 signed message"): a header line, a time line, then the checkpoint text."""
    return b"cosignature/v1\ntime %d\n" % timestamp + text


def _verify_payload(verifier: NoteVerifier, text: bytes, payload: bytes) -> int | None:
    """Check one signature payload (the bytes after the key ID) against ``text``.

    Returns the cosignature timestamp for type 0x04, ``None`` for type 0x01.
    """
    public_key = Ed25519PublicKey.from_public_bytes(verifier.public_key)
    timestamp: int | None
    if verifier.sig_type == SIG_TYPE_ED25519:
        # c2sp.org/signed-note, "Ed25519 signatures": the signature is over the note text
        # (including its final newline, excluding the blank separator line).
        if len(payload) != 64:
            raise VerificationError(f"bad signature length for key {verifier.name}")
        message, signature, timestamp = text, payload, None
    else:
        # c2sp.org/tlog-cosignature: payload is timestamped_signature =
        # u64 big-endian timestamp || 64-byte Ed25519 signature.
        if len(payload) != 8 + 64:
            raise VerificationError(f"bad cosignature length for key {verifier.name}")
        timestamp = int.from_bytes(payload[:8], "big")
        if timestamp > 2**63 - 1:
            raise VerificationError("cosignature timestamp exceeds 2^63 - 1")
        message, signature = _cosignature_message(timestamp, text), payload[8:]
    try:
        public_key.verify(signature, message)
    except InvalidSignature as exc:
        raise VerificationError(f"invalid signature by key {verifier.name}") from exc
    return timestamp


def _verifier_table(
    verifiers: Iterable[str | NoteVerifier],
) -> dict[tuple[str, bytes], NoteVerifier]:
    """Index known keys by (name, key ID), the pair that identifies a key in a note."""
    table: dict[tuple[str, bytes], NoteVerifier] = {}
    for v in verifiers:
        verifier = parse_verifier_key(v) if isinstance(v, str) else v
        slot = (verifier.name, verifier.key_id)
        if slot in table and table[slot] != verifier:
            # Two different keys with the same name and ID: refuse rather than guess.
            raise VerificationError(f"ambiguous verifier keys for {verifier.name}")
        table[slot] = verifier
    return table


def note_signers(note: str) -> list[tuple[str, bytes]]:
    """The (key name, key ID) of every signature line of ``note``, in order, unverified.

    For messages only ("this checkpoint was signed by key X, not by the key you hold"):
    nothing here says that any signature is valid.

    Raises:
        VerificationError: if the note has no well-formed signature block.
    """
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise VerificationError("malformed note: no signature block")
    return [_split_signature_line(line)[:2] for line in note[split + 2 : -1].split("\n")]


def open_note(
    note: str | bytes, verifiers: Iterable[str | NoteVerifier]
) -> tuple[str, list[NoteSignature]]:
    """Verify a signed note; return its text and its verified signatures.

    Follows c2sp.org/signed-note: the note must be UTF-8 without control characters other
    than newline; the text is everything up to and including the newline before the
    *last* blank line; then come one or more ``— <name> <base64>`` lines. For each line:

    * a key not in ``verifiers`` (name and key ID must both match) is ignored;
    * a known key's signature must verify, or the whole note is rejected;
    * duplicates of a known key are all verified, and reported once.

    ``verifiers`` are verifier key strings or :class:`NoteVerifier` objects, of either
    type 0x01 (note signatures) or 0x04 (witness cosignatures over a checkpoint).

    Raises:
        VerificationError: if the note is malformed, any known key's signature fails, or
            no known key signed it.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError("malformed note: not UTF-8") from exc
    elif not _is_utf8_encodable(note):
        raise VerificationError("malformed note: not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerificationError("malformed note: control character")

    table = _verifier_table(verifiers)

    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed note: no blank line before signatures")
    text, sig_block = note[: split + 1], note[split + 2 :]
    if not sig_block:
        raise VerificationError("malformed note: no signature lines after the blank line")
    if not sig_block.endswith("\n"):
        raise VerificationError("malformed note: signatures must end with a newline")
    lines = sig_block[:-1].split("\n")
    if len(lines) > _MAX_SIGNATURES:
        raise VerificationError("malformed note: too many signatures")

    text_bytes = text.encode("utf-8")
    verified: dict[tuple[str, bytes], NoteSignature] = {}
    for line in lines:
        name, key_id, payload = _split_signature_line(line)
        verifier = table.get((name, key_id))
        if verifier is None:
            continue  # Unknown key: ignore it (c2sp.org/signed-note, "Signatures").
        timestamp = _verify_payload(verifier, text_bytes, payload)
        verified.setdefault(
            (name, key_id),
            NoteSignature(
                name=name, key_id=key_id, sig_type=verifier.sig_type, timestamp=timestamp
            ),
        )
    if not verified:
        raise VerificationError("note has no verified signature from a known key")
    return text, list(verified.values())


# ---------------------------------------------------------------------------------------
# 5. Checkpoints (https://c2sp.org/tlog-checkpoint)
# ---------------------------------------------------------------------------------------

# Tree size: ASCII decimal, no leading zeroes (except "0" itself). Python's int() would also
# accept "+5", " 5", "5_0" and non-ASCII digits, so a strict pattern is checked first.
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def _check_line(line: str, what: str) -> None:
    if line == "" or any(ord(c) < 0x20 for c in line) or not _is_utf8_encodable(line):
        raise ValueError(f"checkpoint {what} must be a non-empty line of text")


@dataclass(frozen=True)
class Checkpoint:
    """The body of a checkpoint: a log's Merkle tree head at one size.

    c2sp.org/tlog-checkpoint, "Note text": the origin line (log identity), the tree size
    in decimal, the base64 root hash, then optional non-empty extension lines.
    Instances are validated on construction (``ValueError``).
    """

    origin: str
    size: int
    root_hash: bytes
    extra_lines: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_line(self.origin, "origin")
        if isinstance(self.size, bool) or not isinstance(self.size, int):
            raise ValueError("checkpoint size must be an integer")
        if not 0 <= self.size <= _MAX_UINT64:
            raise ValueError("checkpoint size must be in [0, 2^64)")
        if not isinstance(self.root_hash, bytes) or len(self.root_hash) != HASH_SIZE:
            raise ValueError(f"checkpoint root hash must be {HASH_SIZE} bytes")
        # Accept any sequence of strings but store an immutable tuple.
        object.__setattr__(self, "extra_lines", tuple(self.extra_lines))
        for line in self.extra_lines:
            _check_line(line, "extension line")

    def format_checkpoint(self) -> str:
        """Return the checkpoint note text (every line newline-terminated)."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root_hash).decode("ascii"),
            *self.extra_lines,
        ]
        return "".join(line + "\n" for line in lines)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse checkpoint note text (the part of a signed note before the signatures).

    Strict: the text must be exactly what :meth:`Checkpoint.format_checkpoint` would
    produce, so that two different texts never parse to the same checkpoint.

    Raises:
        VerificationError: if the text is not a well-formed checkpoint.
    """
    if not text.endswith("\n"):
        raise VerificationError("checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError("checkpoint needs origin, size and root hash lines")
    origin, size_line, root_line, *extra = lines
    if not _DECIMAL.fullmatch(size_line):
        raise VerificationError("checkpoint size is not a canonical decimal number")
    root_hash = _b64decode_canonical(root_line, "checkpoint root hash")
    try:
        return Checkpoint(origin, int(size_line), root_hash, tuple(extra))
    except ValueError as exc:
        raise VerificationError(f"malformed checkpoint: {exc}") from exc


def open_checkpoint(
    note: str | bytes,
    log_key: str | NoteVerifier,
    witness_keys: Iterable[str | NoteVerifier] = (),
    *,
    min_cosignatures: int = 0,
    origin: str | None = None,
) -> tuple[Checkpoint, list[NoteSignature]]:
    """Verify a signed checkpoint; return it with its verified signatures.

    Requires a valid signature by ``log_key`` (type 0x01) and valid cosignatures from at
    least ``min_cosignatures`` distinct ``witness_keys`` (type 0x04). Signatures from
    other keys are ignored; a failing signature from any given key rejects the note.
    If ``origin`` is given, the checkpoint's origin line must equal it (one key may sign
    for several logs, so the origin identifies which log the checkpoint is about).

    Raises:
        VerificationError: if any of the above does not hold.
    """
    log = parse_verifier_key(log_key) if isinstance(log_key, str) else log_key
    if log.sig_type != SIG_TYPE_ED25519:
        raise VerificationError("the log key must be an Ed25519 note key (type 0x01)")
    witnesses = [parse_verifier_key(w) if isinstance(w, str) else w for w in witness_keys]
    if any(w.sig_type != SIG_TYPE_COSIGNATURE_V1 for w in witnesses):
        raise VerificationError("witness keys must be cosignature keys (type 0x04)")
    text, signatures = open_note(note, [log, *witnesses])
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise VerificationError(f"checkpoint origin is {checkpoint.origin!r}, not {origin!r}")
    if not any((s.name, s.key_id) == (log.name, log.key_id) for s in signatures):
        raise VerificationError("checkpoint is not signed by the log key")
    cosigners = {(s.name, s.key_id) for s in signatures if s.sig_type == SIG_TYPE_COSIGNATURE_V1}
    if len(cosigners) < min_cosignatures:
        raise VerificationError(
            f"checkpoint has {len(cosigners)} witness cosignatures, {min_cosignatures} needed"
        )
    return checkpoint, signatures


# ---------------------------------------------------------------------------------------
# 6. Witness cosignatures (https://c2sp.org/tlog-cosignature, Ed25519 cosignature/v1)
# ---------------------------------------------------------------------------------------


def cosign_checkpoint(checkpoint_text: str, witness_signer_key: str, timestamp: int) -> str:
    """Cosign a checkpoint as a witness; return the signature line to append to the note.

    ``checkpoint_text`` is the checkpoint's note text (no signature lines). The returned
    line is ``— <witness name> base64(key ID || u64 timestamp || Ed25519 signature)`` plus
    a newline, where the signature covers ``cosignature/v1\\ntime <timestamp>\\n`` followed
    by the checkpoint text. A witness must check the log's signature and consistency
    before calling this; that is not this function's job.

    Raises:
        ValueError: if the text is not a checkpoint, the key is not a witness key (type
            0x04), or the timestamp is outside [0, 2^63).
    """
    parse_checkpoint(checkpoint_text)
    signer = _parse_signer_key(witness_signer_key)
    if signer.sig_type != SIG_TYPE_COSIGNATURE_V1:
        raise ValueError("cosign_checkpoint needs a witness key (type 0x04)")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise ValueError("timestamp must be an integer")
    if not 0 <= timestamp <= 2**63 - 1:
        raise ValueError("timestamp must be in [0, 2^63)")
    message = _cosignature_message(timestamp, checkpoint_text.encode("utf-8"))
    signature = signer.private_key.sign(message)
    payload = signer.key_id + timestamp.to_bytes(8, "big") + signature
    return _signature_line(signer.name, payload)


def verify_cosignature(
    checkpoint_text: str, signature_line: str, witness_key: str | NoteVerifier
) -> int:
    """Verify one witness cosignature line over a checkpoint; return its timestamp.

    ``signature_line`` is one ``— <name> <base64>`` line (a final newline is allowed).

    Raises:
        VerificationError: if the line is malformed, is not by ``witness_key``, or does not
            verify over ``checkpoint_text``.
    """
    verifier = parse_verifier_key(witness_key) if isinstance(witness_key, str) else witness_key
    if verifier.sig_type != SIG_TYPE_COSIGNATURE_V1:
        raise VerificationError("witness key must be a cosignature key (type 0x04)")
    parse_checkpoint(checkpoint_text)
    line = signature_line[:-1] if signature_line.endswith("\n") else signature_line
    if "\n" in line:
        raise VerificationError("expected exactly one signature line")
    name, key_id, payload = _split_signature_line(line)
    if (name, key_id) != (verifier.name, verifier.key_id):
        raise VerificationError("cosignature is not by the given witness key")
    timestamp = _verify_payload(verifier, checkpoint_text.encode("utf-8"), payload)
    assert timestamp is not None  # type 0x04 always yields a timestamp
    return timestamp

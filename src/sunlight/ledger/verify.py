"""Re-export of :mod:`sunlight_verify.tlog`, the signed-note, checkpoint and RFC 9162 verifier.

The one implementation lives in the stand-alone ``sunlight-verify`` package
(``packages/sunlight-verify``), which residents and newsrooms install on its own; this
module keeps the old import path working.
"""

from sunlight_verify.tlog import (
    EMPTY_ROOT,
    HASH_SIZE,
    SIG_TYPE_COSIGNATURE_V1,
    SIG_TYPE_ED25519,
    Checkpoint,
    NoteSignature,
    NoteVerifier,
    VerificationError,
    compute_key_id,
    cosign_checkpoint,
    generate_signer,
    generate_witness_signer,
    leaf_hash,
    node_hash,
    note_signers,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    root_from_leaf_hashes,
    sign_note,
    verifier_key_for,
    verify_consistency,
    verify_cosignature,
    verify_inclusion,
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

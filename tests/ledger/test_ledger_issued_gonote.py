"""A checkpoint issued by the running log (with a witness cosignature) opens in Go's
golang.org/x/mod/sumdb/note, and fails there once any byte changes."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ledger.conftest import add_events
from tests.ledger.test_ledger_gonote import go_checker, run_go

from sunlight.ledger import checkpoints, cosign, log_identity, witness_trust
from sunlight.ledger.verify import cosign_checkpoint, generate_witness_signer
from sunlight.runtime import Runtime

__all__ = ["go_checker", "run_go"]  # fixtures, re-used from the verify.py cross-check


def test_go_opens_a_checkpoint_issued_by_the_log(
    embedded_runtime: Runtime,
    run_go: Callable[[dict[str, Any]], dict[str, Any]],
    tmp_path: Path,
) -> None:
    rt = embedded_runtime
    add_events(rt, 37)
    row = checkpoints.seal_and_checkpoint(rt)
    wskey, wvkey = generate_witness_signer("news.example/witness")
    witness_trust.add_witness(rt, wvkey, actor="test")
    text = row.note[: row.note.index("\n\n") + 1]
    cosign.add_cosignature(rt, text, cosign_checkpoint(text, wskey, 1_700_000_000))
    with rt.db.session() as session:
        note = cosign.note_with_cosignatures(rt, session, row).encode()
    assert note.count("\u2014".encode()) == 2

    vkey = log_identity.identity(rt).verifier_key
    log_signature = (
        note.index(b"\n\n")
        + 2
        + len("\u2014 ".encode())
        + len(log_identity.identity(rt).origin)
        + 10
    )
    positions = (0, 60, note.index(b"\n\n") - 3, log_signature)
    flipped = [note[:i] + bytes([note[i] ^ 0x01]) + note[i + 1 :] for i in positions]
    response = run_go(
        {"vkey": vkey, "notes": [base64.b64encode(n).decode() for n in [note, *flipped]]}
    )
    first, *rest = response["results"]
    assert first["ok"], first["error"]
    assert first["text"] == text
    assert not any(r["ok"] for r in rest)

"""The browser verifier (static/public-verify.js) and the Python one (sunlight_verify.tlog)
agree on test vectors made here by the Python signer: verifier keys, signed checkpoints with
witness cosignatures (honest, and with one byte changed), leaf hashes, and RFC 9162
inclusion proofs for every leaf of trees of 1 to 20 leaves (honest and tampered).

The script runs in Node (its WebCrypto has Ed25519 and SHA-256, as browsers do), where it
hands its checks to the caller instead of wiring up a page."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sunlight.ledger.tree import inclusion_proof_ranges
from sunlight.ledger.verify import (
    Checkpoint,
    VerificationError,
    cosign_checkpoint,
    generate_signer,
    generate_witness_signer,
    leaf_hash,
    open_checkpoint,
    parse_verifier_key,
    root_from_leaf_hashes,
    sign_note,
    verify_inclusion,
)
from tests.support.services import unavailable

SCRIPT = Path(__file__).parents[2] / "src/sunlight/web/static/public-verify.js"

HARNESS = r"""
const fs = require("fs");
const vm = require("vm");
vm.runInThisContext(fs.readFileSync(process.argv[2], "utf8"));
const c = globalThis.sunlightVerifyChecks;
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const hex = (h) => Uint8Array.from(Buffer.from(h, "hex"));
async function ok(f) {
  try { await f(); return true; }
  catch (e) { if (e instanceof c.CheckFailed) return false; throw e; }
}
(async () => {
  const out = { keys: [], notes: [], leaves: [], inclusion: [] };
  for (const k of input.keys) out.keys.push(await ok(() => c.parseKey(k)));
  for (const v of input.notes) out.notes.push(await ok(async () => {
    const log = await c.parseKey(v.log);
    const witness = await c.parseKey(v.witness);
    const note = c.openNote(v.note);
    c.parseCheckpoint(note.text);
    await c.checkLogSignature(note, log);
    if ((await c.checkCosignature(note, witness)) === null) throw new c.CheckFailed("none");
  }));
  for (const e of input.leaves)
    out.leaves.push(Buffer.from(await c.leafHash(new TextEncoder().encode(e))).toString("hex"));
  for (const v of input.inclusion) out.inclusion.push(await ok(() =>
    c.verifyInclusion(hex(v.leaf), v.index, v.size, v.proof.map(hex), hex(v.root))));
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _passes(check: Callable[[], object]) -> bool:
    try:
        check()
    except VerificationError:
        return False
    return True


def _flip_in_line(note: str, prefix: str) -> str:
    """Flip one bit of the last byte of the signature on the line starting with prefix."""
    lines = note.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    head, _, b64 = lines[at].rpartition(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 0x01
    lines[at] = f"{head} {base64.b64encode(bytes(raw)).decode('ascii')}"
    return "\n".join(lines)


def _vectors() -> dict[str, Any]:
    origin, witness_name = "town.example/custody", "news.example/witness"
    skey, vkey = generate_signer(origin)
    wskey, wvkey = generate_witness_signer(witness_name)
    _, other_vkey = generate_signer(origin)

    name, key_id, b64 = vkey.split("+", 2)  # base64 may itself hold "+"
    keys = [
        vkey,
        wvkey,
        f"{name}+{'0' * 8 if key_id != '0' * 8 else '1' * 8}+{b64}",  # wrong key ID
        f"{name}+{key_id}+{b64[:20]} {b64[20:]}",  # not base64
        f"{name}+{key_id}",  # no key
        f"bad name+{key_id}+{b64}",
    ]

    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(20)]
    text = Checkpoint(origin, 20, root_from_leaf_hashes(leaves)).format_checkpoint()
    signed = sign_note(text, skey) + cosign_checkpoint(text, wskey, 1_700_000_000)
    notes = [
        {"log": vkey, "witness": wvkey, "note": signed},
        {"log": vkey, "witness": wvkey, "note": _flip_in_line(signed, f"\u2014 {origin} ")},
        {"log": vkey, "witness": wvkey, "note": _flip_in_line(signed, f"\u2014 {witness_name} ")},
        {"log": vkey, "witness": wvkey, "note": signed.replace("\n20\n", "\n21\n", 1)},
        {"log": other_vkey, "witness": wvkey, "note": signed},
        {"log": vkey, "witness": wvkey, "note": sign_note(text, skey)},  # no cosignature
    ]

    inclusion = []
    for size in range(1, 21):
        root = root_from_leaf_hashes(leaves[:size])
        for index in range(size):
            proof = [
                root_from_leaf_hashes(leaves[a:b]) for a, b in inclusion_proof_ranges(index, size)
            ]
            cases = [(leaves[index], index, proof, root)]
            if proof:
                bad = bytes([proof[0][0] ^ 1]) + proof[0][1:]
                cases += [
                    (leaves[index], index, [bad, *proof[1:]], root),
                    (leaves[index], index, proof[:-1], root),
                    (leaves[index], index, [*proof, proof[0]], root),
                    (leaves[index], (index + 1) % size, proof, root),
                ]
            cases.append((leaves[index], index, proof, hashlib.sha256(root).digest()))
            inclusion += [
                {
                    "leaf": leaf.hex(),
                    "index": i,
                    "size": size,
                    "proof": [p.hex() for p in pr],
                    "root": r.hex(),
                }
                for leaf, i, pr, r in cases
            ]
    entries = ['{"action":"ingest"}', "caf\u00e9 \u2014 \U0001f4f9", ""]
    return {"keys": keys, "notes": notes, "leaves": entries, "inclusion": inclusion}


def test_the_browser_verifier_agrees_with_the_python_one(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is not installed (the browser verifier's vectors run in it)")
    assert node is not None
    vectors = _vectors()
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run(
        [node, str(harness), str(SCRIPT)],
        input=json.dumps(vectors),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    js = json.loads(done.stdout)

    assert js["keys"] == [_passes(lambda k=k: parse_verifier_key(k)) for k in vectors["keys"]]
    assert js["keys"] == [True, True, False, False, False, False]

    python_notes = [
        _passes(
            lambda v=v: open_checkpoint(v["note"], v["log"], [v["witness"]], min_cosignatures=1)
        )
        for v in vectors["notes"]
    ]
    assert js["notes"] == python_notes == [True, False, False, False, False, False]

    assert js["leaves"] == [leaf_hash(e.encode("utf-8")).hex() for e in vectors["leaves"]]

    python_inclusion = [
        _passes(
            lambda v=v: verify_inclusion(
                bytes.fromhex(v["leaf"]),
                v["index"],
                v["size"],
                [bytes.fromhex(p) for p in v["proof"]],
                bytes.fromhex(v["root"]),
            )
        )
        for v in vectors["inclusion"]
    ]
    assert js["inclusion"] == python_inclusion
    assert python_inclusion.count(True) == sum(range(1, 21))  # each honest proof, only

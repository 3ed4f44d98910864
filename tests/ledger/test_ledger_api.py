"""Public HTTP endpoints of the ledger, witness cosigning over HTTP, proof bundles."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.conftest import embedded_settings
from tests.ledger.conftest import add_events
from tests.support.auth import sign_in

from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.ledger import checkpoints, log_identity, sealing, witness_trust
from sunlight.ledger import witness as w
from sunlight.ledger.bundle import check_bundle
from sunlight.ledger.verify import (
    Checkpoint,
    VerificationError,
    leaf_hash,
    open_checkpoint,
    sign_note,
    verify_consistency,
    verify_inclusion,
)
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app

LOG = "http://testserver"


@pytest.fixture
def rt(tmp_path: Path) -> Iterator[Runtime]:
    runtime = start(embedded_settings(tmp_path / "home"))
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    # The /log endpoints are public; a test that needs staff access signs in itself (after
    # its ingest, so the leaf numbers these tests check stay as they are).
    with TestClient(create_app(rt, start_worker=False)) as test_client:
        yield test_client


@pytest.fixture
def witness_state(rt: Runtime, tmp_path: Path) -> Path:
    """A witness accepted by the log: its acceptance is the log's first custody event
    (leaf 0), so the tests' own events start at leaf 1."""
    state = tmp_path / "witness"
    vkey = w.init(state, "news.example/witness")
    witness_trust.add_witness(rt, vkey, actor="test")
    return state


def test_public_endpoints_serve_verifiable_proofs(rt: Runtime, client: TestClient) -> None:
    add_events(rt, 21)
    checkpoints.seal_and_checkpoint(rt)
    vkey = client.get("/log/key").text
    assert vkey.endswith("\n") and vkey.count("\n") == 1
    assert vkey.strip() == log_identity.identity(rt).verifier_key
    response = client.get("/log/checkpoint")
    assert response.headers["content-type"].startswith("text/plain")
    assert "max-age" in response.headers["cache-control"]
    cp, _ = open_checkpoint(response.text, vkey.strip())
    assert cp.size == 21

    entries = client.get("/log/entries", params={"start": 0, "end": 21}).json()["entries"]
    assert [e["index"] for e in entries] == list(range(21))
    for e in entries:
        assert leaf_hash(e["entry"].encode()).hex() == e["leaf_hash"]

    for index in (0, 7, 20):
        by_index = client.get("/log/proof/inclusion", params={"index": index, "size": 21}).json()
        digest = bytes.fromhex(by_index["leaf_hash"])
        proof = [bytes.fromhex(p) for p in by_index["proof"]]
        verify_inclusion(digest, index, 21, proof, cp.root_hash)
        by_hash = client.get("/log/proof/inclusion", params={"leaf_hash": digest.hex()}).json()
        assert by_hash["index"] == index and by_hash["proof"] == by_index["proof"]

    add_events(rt, 9, start_at=21)
    checkpoints.seal_and_checkpoint(rt)
    cp2, _ = open_checkpoint(client.get("/log/checkpoint").text, vkey.strip())
    doc = client.get("/log/proof/consistency", params={"from": 21, "to": 30})
    assert "immutable" in doc.headers["cache-control"]
    verify_consistency(
        21, 30, [bytes.fromhex(p) for p in doc.json()["proof"]], cp.root_hash, cp2.root_hash
    )

    assert client.get("/log/proof/inclusion", params={"index": 3, "size": 99}).status_code == 404
    assert (
        client.get("/log/proof/inclusion", params={"index": 3, "leaf_hash": "00" * 32}).status_code
        == 422
    )
    assert client.get("/log/proof/inclusion", params={"leaf_hash": "00" * 32}).status_code == 404
    assert client.get("/log/proof/consistency", params={"from": 0, "to": 5}).status_code == 422
    assert client.get("/log/entries", params={"start": 5, "end": 2}).status_code == 422
    big = client.get("/log/entries", params={"start": 0, "end": 10**6}).json()["entries"]
    assert len(big) == 30
    found = client.get("/log/lookup", params={"sha256": f"{3:064x}"}).json()["leaves"]
    assert [x["index"] for x in found] == [3]
    assert client.get("/log/witnesses").json() == {"quorum": 1, "witnesses": []}
    page = client.get("/log")
    assert page.status_code == 200 and "Public custody ledger" in page.text


def test_witness_cosigns_honest_growth_and_the_log_counts_it(
    rt: Runtime, client: TestClient, witness_state: Path
) -> None:
    add_events(rt, 5)
    checkpoints.seal_and_checkpoint(rt)
    vkey = log_identity.identity(rt).verifier_key
    assert client.get("/log/checkpoint", params={"witnessed": "true"}).status_code == 404
    first = w.run(witness_state, LOG, vkey, http=client, submit=True)
    assert first.submitted and first.previous_size is None and first.size == 6

    note = client.get("/log/checkpoint", params={"witnessed": "true"}).text
    witness_vkey = w.verifier_key(witness_state)
    cp, sigs = open_checkpoint(note, vkey, [witness_vkey], min_cosignatures=1)
    assert cp.size == 6 and len(sigs) == 2

    add_events(rt, 40, start_at=5)
    checkpoints.seal_and_checkpoint(rt)
    second = w.run(witness_state, LOG, vkey, http=client, submit=True)
    assert (second.previous_size, second.size) == (6, 46)
    again = w.run(witness_state, LOG, vkey, http=client, submit=True)  # same size: fine
    assert again.size == 46
    note = client.get("/log/checkpoint").text
    open_checkpoint(note, vkey, [witness_vkey], min_cosignatures=1)
    assert not (witness_state / "evidence").exists()


def test_log_rejects_cosignatures_it_cannot_verify(
    rt: Runtime, client: TestClient, witness_state: Path, tmp_path: Path
) -> None:
    add_events(rt, 3)
    row = checkpoints.seal_and_checkpoint(rt)
    text = row.note[: row.note.index("\n\n") + 1]
    stranger = tmp_path / "stranger"
    w.init(stranger, "stranger.example/witness")
    from sunlight.ledger.verify import cosign_checkpoint

    line = cosign_checkpoint(text, (stranger / w.KEY_FILE).read_text().strip(), 1000)
    response = client.post("/log/cosignatures", json={"checkpoint": text, "cosignature": line})
    assert response.status_code == 403
    good = cosign_checkpoint(text, (witness_state / w.KEY_FILE).read_text().strip(), 1000)
    bad = good[:-10] + ("A" if good[-10] != "A" else "B") + good[-9:]
    response = client.post("/log/cosignatures", json={"checkpoint": text, "cosignature": bad})
    assert response.status_code == 403
    other = text.replace("\n4\n", "\n3\n")  # 3 events and the witness's acceptance
    response = client.post("/log/cosignatures", json={"checkpoint": other, "cosignature": good})
    assert response.status_code == 404
    response = client.post("/log/cosignatures", json={"checkpoint": text, "cosignature": good})
    assert response.status_code == 201


class Tampered:
    """Serves the real log, except for a forged /log/checkpoint."""

    def __init__(self, client: TestClient, note: str) -> None:
        self.client = client
        self.note = note

    def get(self, url: str) -> httpx.Response:
        if url.endswith("/log/checkpoint"):
            return httpx.Response(200, text=self.note)
        return self.client.get(url)

    def post(self, url: str, *, json: Any) -> httpx.Response:
        return self.client.post(url, json=json)


def _forged(rt: Runtime, size: int, root: bytes) -> str:
    ident = log_identity.identity(rt)
    return sign_note(Checkpoint(ident.origin, size, root).format_checkpoint(), ident.signer_key)


def _evidence(state: Path, kind: str) -> Path:
    folders = sorted((state / "evidence").glob(f"*-{kind}"))
    assert len(folders) == 1
    folder = folders[0]
    for name in ("old.checkpoint", "new.checkpoint", "proof.json", "REPORT.txt"):
        assert (folder / name).exists()
    return folder


def test_witness_refuses_a_rollback_and_keeps_evidence(
    rt: Runtime, client: TestClient, witness_state: Path
) -> None:
    add_events(rt, 4)
    old = checkpoints.seal_and_checkpoint(rt)
    add_events(rt, 4, start_at=4)
    checkpoints.seal_and_checkpoint(rt)
    vkey = log_identity.identity(rt).verifier_key
    w.run(witness_state, LOG, vkey, http=client)
    with pytest.raises(w.ForkDetected, match="ROLLBACK"):
        w.run(witness_state, LOG, vkey, http=Tampered(client, old.note))
    folder = _evidence(witness_state, "rollback")
    assert (folder / "new.checkpoint").read_text().startswith(old.note[: old.note.index("\n\n")])


def test_witness_refuses_a_fork_of_the_same_size(
    rt: Runtime, client: TestClient, witness_state: Path
) -> None:
    add_events(rt, 6)
    checkpoints.seal_and_checkpoint(rt)
    vkey = log_identity.identity(rt).verifier_key
    w.run(witness_state, LOG, vkey, http=client)
    forged = _forged(rt, 7, b"\x42" * 32)  # 6 events and the witness's acceptance
    with pytest.raises(w.ForkDetected, match="FORK"):
        w.run(witness_state, LOG, vkey, http=Tampered(client, forged), submit=True)
    folder = _evidence(witness_state, "fork")
    # Both checkpoints are signed by the log's own key: that is the proof of the fork.
    open_checkpoint((folder / "old.checkpoint").read_text(), vkey)
    open_checkpoint((folder / "new.checkpoint").read_text(), vkey)


def test_witness_refuses_a_larger_tree_that_is_not_an_extension(
    rt: Runtime, client: TestClient, witness_state: Path
) -> None:
    add_events(rt, 6)
    checkpoints.seal_and_checkpoint(rt)
    add_events(rt, 5, start_at=6)
    sealing.seal_pending(rt)  # the log holds 11 leaves; only size 6 is signed
    vkey = log_identity.identity(rt).verifier_key
    w.run(witness_state, LOG, vkey, http=client)
    forged = _forged(rt, 11, b"\x17" * 32)
    with pytest.raises(w.ForkDetected, match="not an extension"):
        w.run(witness_state, LOG, vkey, http=Tampered(client, forged))
    folder = _evidence(witness_state, "fork")
    assert json.loads((folder / "proof.json").read_text())["proof"]


def test_witness_refuses_a_checkpoint_not_signed_by_the_log(
    rt: Runtime, client: TestClient, witness_state: Path
) -> None:
    add_events(rt, 2)
    checkpoints.seal_and_checkpoint(rt)
    vkey = log_identity.identity(rt).verifier_key
    note = client.get("/log/checkpoint").text
    sig = note.rindex(" ") + 1
    payload = bytearray(base64.b64decode(note[sig:]))
    payload[-1] ^= 1
    broken = note[:sig] + base64.b64encode(bytes(payload)).decode() + "\n"
    with pytest.raises(w.WitnessError, match="does not verify"):
        w.run(witness_state, LOG, vkey, http=Tampered(client, broken))
    assert not (witness_state / "evidence").exists()


def _ingest(rt: Runtime, tmp_path: Path) -> tuple[int, Path]:
    path = tmp_path / "stop.mp4"
    make_clip(path, seconds=1.0, width=160, height=120, fps=10, seed=3)
    result = ingest_file(
        rt,
        path,
        IngestMetadata(original_filename=path.name, title="Stop"),
        actor="test:clerk",
        source="cli",
    )
    return result.recording_id, path


def test_recording_proof_bundle_and_page(
    rt: Runtime, client: TestClient, witness_state: Path, tmp_path: Path
) -> None:
    recording_id, path = _ingest(rt, tmp_path)
    sign_in(client, rt)
    assert client.get(f"/api/recordings/{recording_id}/proof").status_code == 404  # unsealed
    checkpoints.seal_and_checkpoint(rt)
    vkey = log_identity.identity(rt).verifier_key
    w.run(witness_state, LOG, vkey, http=client, submit=True)
    response = client.get(f"/api/recordings/{recording_id}/proof")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    bundle = response.json()
    assert bundle["witnessed"] is True
    import hashlib

    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    witness_vkey = w.verifier_key(witness_state)
    report = check_bundle(bundle, log_key=vkey, witness_keys=[witness_vkey], file_sha256=sha)
    assert report.entry["action"] == "ingest" and report.witnesses == ["news.example/witness"]
    assert report.private is not None and report.private["details"]["filename"] == "stop.mp4"
    with pytest.raises(VerificationError, match="does not name this file"):
        check_bundle(bundle, log_key=vkey, witness_keys=[witness_vkey], file_sha256="0" * 64)
    with pytest.raises(VerificationError, match="no log key pinned"):
        check_bundle(bundle, witness_keys=[witness_vkey], file_sha256=sha)
    with pytest.raises(VerificationError, match="witness keys are pinned"):
        check_bundle(bundle, log_key=vkey, file_sha256=sha)  # the bundle's witness is ignored

    page = client.get(f"/recordings/{recording_id}")
    assert page.status_code == 200
    assert f"/api/recordings/{recording_id}/proof" in page.text
    assert "/log/entries?start=1&amp;end=2" in page.text  # leaf 0: the witness's acceptance


def test_endpoints_are_documented(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    for path in (
        "/log/checkpoint",
        "/log/key",
        "/log/witnesses",
        "/log/proof/inclusion",
        "/log/proof/consistency",
        "/log/entries",
        "/log/lookup",
        "/log/cosignatures",
        "/api/recordings/{recording_id}/proof",
    ):
        operations = spec["paths"][path]
        assert all(op.get("summary") for op in operations.values()), path

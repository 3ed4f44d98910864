"""A resident verifies a released video in their own browser (WebCrypto, no install): the
checkpoint's log signature and witness cosignature, the inclusion proof and the video's
SHA-256. Then the same page with one byte changed, in turn, in the stored video, in the
log's signature and in the witness's cosignature: that step, and the result, say failed.

The tampering is done only in this test: the video byte in the test's own object store;
the log signature and the witness cosignature by rewriting the proof bundle on its way to
the browser (Playwright's request routing). They are not changed in the test's database:
its ledger tables are append-only (triggers), and the server refuses to serve its key when
its latest checkpoint does not verify (``/log/key`` answers 503)."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, Route, expect

from sunlight.ledger import checkpoints, cosign, log_identity, witness, witness_trust
from sunlight.ledger.config import read_secret
from sunlight.ledger.verify import cosign_checkpoint, generate_signer, open_checkpoint
from sunlight.runtime import Runtime
from sunlight.storage.local import LocalObjectStore
from sunlight.web.app import create_app
from tests.portal.support import decide

pytestmark = pytest.mark.browser

WITNESS = "news.example/witness"
STEPS = ["keys", "bundle", "signature", "witnesses", "inclusion", "media"]


def _witness(runtime: Runtime, state: Path) -> str:
    """An outside witness that cosigns the log's latest checkpoint; its verifier key."""
    vkey = witness.init(state, WITNESS)
    witness_trust.add_witness(runtime, vkey, actor="test")
    checkpoint = checkpoints.seal_and_checkpoint(runtime)
    ident = log_identity.identity(runtime)
    opened, _ = open_checkpoint(checkpoint.note, ident.verifier_key, origin=ident.origin)
    text = opened.format_checkpoint()
    signer = read_secret(state / witness.KEY_FILE)
    cosign.add_cosignature(runtime, text, cosign_checkpoint(text, signer, int(time.time())))
    return vkey


def _flip_signature_byte(line: str) -> str:
    """``— name base64(payload)``: flip the last byte of the payload (inside the signature)."""
    head, _, b64 = line.rpartition(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 0x01
    return f"{head} {base64.b64encode(bytes(raw)).decode('ascii')}"


@contextmanager
def _tampered(page: Page, release_id: int, line_prefix: str) -> Iterator[None]:
    """Serve the proof bundle with one byte changed in the signature line that starts with
    ``line_prefix``, in both checkpoints (the released copy's and the original's)."""

    def handler(route: Route) -> None:
        response = route.fetch()
        body: dict[str, Any] = response.json()
        for part in ("released", "original"):
            lines = body[part]["checkpoint"].split("\n")
            at = next(i for i, line in enumerate(lines) if line.startswith(line_prefix))
            lines[at] = _flip_signature_byte(lines[at])
            body[part]["checkpoint"] = "\n".join(lines)
        route.fulfill(response=response, json=body)

    pattern = f"**/api/public/releases/{release_id}/proof"
    page.route(pattern, handler)
    try:
        yield
    finally:
        page.unroute(pattern)


def _verify(page: Page, url: str, keys: list[str] | None = None) -> dict[str, str]:
    """Open the release page, press the button, wait for the result; each step's state."""
    page.goto(url)
    if keys:
        page.get_by_text("Check against keys I already have").click()
        page.get_by_label("Verifier keys, one per line").fill("\n".join(keys))
    button = page.get_by_role("button", name="Verify in my browser")
    expect(button).to_be_visible()
    button.click()
    result = page.locator("#verify-result")
    expect(result).to_have_attribute("data-outcome", re.compile("^(pass|fail)$"), timeout=30_000)
    return {
        step: page.locator(f'[data-step="{step}"]').get_attribute("data-state") or ""
        for step in STEPS
    }


def test_a_resident_verifies_a_release_and_sees_each_tampering_fail(
    page: Page, embedded_runtime: Runtime, live_url: str, tmp_path: Path
) -> None:
    rt = embedded_runtime
    with TestClient(create_app(rt, start_worker=False)) as staff:
        done = decide(rt, staff, cad="KC26-007300")
    witness_vkey = _witness(rt, tmp_path / "witness")
    log_vkey = log_identity.identity(rt).verifier_key
    release_url = f"{live_url}/public/releases/{done.release_id}"

    # 1. The honest release: every step passes, with text (not colour alone).
    states = _verify(page, release_url)
    assert states == dict.fromkeys(STEPS, "pass")
    expect(page.locator("#verify-result")).to_contain_text("Verified: every check passed")
    for step in STEPS:
        expect(page.locator(f'[data-step="{step}"] .verify-status')).to_have_text("Passed")
    # The trusted keys are shown, so that a visitor can compare them with ones published
    # elsewhere; they are the published keys, not the bundle's.
    keys = page.locator('[data-step="keys"] .verify-detail')
    expect(keys).to_contain_text(log_vkey)
    expect(keys).to_contain_text(witness_vkey)
    expect(page.locator('[data-step="witnesses"] .verify-detail')).to_contain_text(
        f"cosigned by witness {WITNESS}"
    )

    # 2. One byte of the stored video changed: the hash step fails, and so does the result.
    proof = page.request.get(f"{live_url}/api/public/releases/{done.release_id}/proof").json()
    assert isinstance(rt.store, LocalObjectStore)
    entry = proof["released"]["leaf"]["entry"]
    stored = rt.store.path_for(json.loads(entry)["hashes"]["sha256"])
    original = stored.read_bytes()
    stored.chmod(0o600)
    middle = len(original) // 2
    changed = original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :]
    stored.write_bytes(changed)
    try:
        states = _verify(page, release_url)
    finally:
        stored.write_bytes(original)
    assert states == {**dict.fromkeys(STEPS, "pass"), "media": "fail"}
    expect(page.locator("#verify-result")).to_contain_text("Verification failed")
    expect(page.locator('[data-step="media"] .verify-status')).to_have_text("Failed")
    expect(page.locator('[data-step="media"] .verify-detail')).to_contain_text(
        "this is not the recorded copy"
    )

    # 3. One byte of the log's signature changed on the way to the browser.
    origin = log_identity.identity(rt).origin
    with _tampered(page, done.release_id, f"— {origin} "):
        states = _verify(page, release_url)
    assert states == {**dict.fromkeys(STEPS, "pass"), "signature": "fail"}
    expect(page.locator("#verify-result")).to_contain_text("Verification failed")
    expect(page.locator('[data-step="signature"] .verify-detail')).to_contain_text(
        "The log's signature on the checkpoint is not valid"
    )

    # 4. One byte of the witness's cosignature changed on the way to the browser.
    with _tampered(page, done.release_id, f"— {WITNESS} "):
        states = _verify(page, release_url)
    assert states == {**dict.fromkeys(STEPS, "pass"), "witnesses": "fail"}
    expect(page.locator("#verify-result")).to_contain_text("Verification failed")
    expect(page.locator('[data-step="witnesses"] .verify-detail')).to_contain_text(
        f"The cosignature of witness {WITNESS} is not valid"
    )

    # 5. Honest again: passes (the tampering above was the test's alone).
    assert _verify(page, release_url) == dict.fromkeys(STEPS, "pass")

    # 6. Keys the visitor pastes replace the published ones: the right ones pass; a log key
    # that did not sign the checkpoint fails the signature step, whatever the bundle says.
    assert _verify(page, release_url, keys=[log_vkey, witness_vkey]) == dict.fromkeys(STEPS, "pass")
    expect(page.locator('[data-step="keys"] .verify-detail')).to_contain_text(
        "Checking against the keys you pasted"
    )
    _, stranger = generate_signer(log_identity.identity(rt).origin)
    states = _verify(page, release_url, keys=[stranger, witness_vkey])
    assert states == {**dict.fromkeys(STEPS, "pass"), "signature": "fail"}
    expect(page.locator('[data-step="signature"] .verify-detail')).to_contain_text(
        "carries no signature by the log key"
    )

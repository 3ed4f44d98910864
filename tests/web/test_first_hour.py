"""A newcomer's first hour on the demo, on both back ends: the demo witness makes `verify`
pass with pinned keys, the demo's faces clip redacts into a copy with a signed C2PA manifest,
and the recording page says whether a copy's manifest is signed (and by whom) or unsigned."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.demo import (
    DEMO_C2PA_ORGANISATION,
    DEMO_WITNESS_NAME,
    FACES_RECORDING_ID,
    load_demo,
)
from sunlight.ledger import proofs
from sunlight.ledger.bundle import check_bundle
from sunlight.ledger.verify import VerificationError
from sunlight.redaction import service as redaction
from sunlight.redaction.provenance import read_manifest
from sunlight.runtime import Runtime
from sunlight.storage import hash_file

#: The demo's clock: its statistics fill the twelve months up to it (2025-12 to 2026-12).
LOADED = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)


def _render(runtime: Runtime, recording_id: int) -> redaction.JobView:
    detect = redaction.request_detection(runtime, recording_id, actor="test", enqueue=False)
    if detect.status != "done":
        detect = redaction.run_detection(runtime, detect.id)
    assert detect.status == "done" and detect.result_plan_id is not None, detect.error
    job = redaction.request_render(runtime, detect.result_plan_id, actor="test", enqueue=False)
    if job.status != "done":
        job = redaction.run_render(runtime, job.id)
    assert job.status == "done" and job.result_recording_id is not None, job.error
    return job


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_demo_first_hour(runtime: Runtime, client: TestClient, tmp_path: Path) -> None:
    load_demo(runtime, today=LOADED)
    home = runtime.settings.home

    # The demo witness cosigned: a demo file verifies with the keys the demo wrote to files.
    log_key = (home / "keys" / "log.vkey").read_text(encoding="utf-8").strip()
    witness_key = (home / "demo" / "witness" / "witness.vkey").read_text(encoding="utf-8").strip()
    sha = hash_file(home / "demo" / "clips" / "BWC0417_traffic_stop.mp4")[0]
    bundle = proofs.recording_bundle(runtime, 1)
    assert bundle["witnessed"] is True
    report = check_bundle(
        bundle, log_key=log_key, witness_keys=[witness_key], min_witnesses=1, file_sha256=sha
    )
    assert report.witnesses == [DEMO_WITNESS_NAME] and not report.keys_from_bundle
    # ... and it is the witness's cosignature that counts: with no witness pinned, it fails.
    with pytest.raises(VerificationError):
        check_bundle(bundle, log_key=log_key, witness_keys=[], min_witnesses=1, file_sha256=sha)

    # Pages name demo-only keys, and an empty month points at the month with the latest
    # recordings (the statistics' placeholders, in the twelve months up to the load day).
    assert "demo-only witness" in _text(client.get("/log").text)
    empty = client.get("/compliance", params={"month": "2025-11"}).text
    assert 'href="/compliance?month=2026-12"' in empty
    assert "Nothing was recorded and no incident started in 2025-11" in _text(empty)
    demo_month = client.get("/compliance", params={"month": "2026-05"}).text
    assert 'id="empty-month"' not in demo_month and "26-0508-0342" in demo_month

    # The faces clip redacts into a copy whose C2PA manifest the demo key signed.
    job = _render(runtime, FACES_RECORDING_ID)
    assert job.details["c2pa"]["signed"] is True
    assert DEMO_C2PA_ORGANISATION in job.details["c2pa"]["signer"]
    copy_sha = job.details["sha256"]
    copy_path = redaction.local_source(runtime, copy_sha, tmp_path)
    manifest = read_manifest(
        copy_path, trust_anchors_pem=(home / "c2pa" / "root.pem").read_text(encoding="utf-8")
    )
    assert manifest["validation_state"] == "Trusted"
    plan = redaction.get_plan(runtime, job.plan_id or 0)[1]
    assert [t for t in plan.tracks if t.kind == "face"], "the demo clip has faces to hide"

    copy_page = _text(client.get(f"/recordings/{job.result_recording_id}").text)
    assert f"Redacted copy of recording {FACES_RECORDING_ID}" in copy_page
    assert "C2PA manifest signed (ES256) by" in copy_page
    assert DEMO_C2PA_ORGANISATION in copy_page and "not for evidence" in copy_page
    original_page = _text(client.get(f"/recordings/{FACES_RECORDING_ID}").text)
    listed = rf"Recording {job.result_recording_id} ?: redacted copy\. C2PA manifest signed"
    assert re.search(listed, original_page), original_page

    # Without a department key the copy is unsigned, and the page says so and why.
    for name in ("chain.pem", "key.pem"):
        (home / "c2pa" / name).unlink()
    unsigned = _render(runtime, 1)
    assert unsigned.details["c2pa"]["signed"] is False
    page = _text(client.get(f"/recordings/{unsigned.result_recording_id}").text)
    assert "C2PA manifest unsigned no department key configured" in page
    assert "C2PA manifest signed" not in page

"""A person opens the recordings list, opens a recording and plays it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime

pytestmark = pytest.mark.browser


def test_list_open_and_play(
    page: Page, embedded_runtime: Runtime, base_url_live: str, tmp_path: Path
) -> None:
    clip = tmp_path / "stop.mp4"
    make_clip(clip, seconds=4.0, width=320, height=240, seed=11)
    ingest_file(
        embedded_runtime,
        clip,
        IngestMetadata(original_filename=clip.name, title="Traffic stop on Troost"),
        actor="test:clerk",
        source="cli",
    )
    page.goto(f"{base_url_live}/recordings")
    expect(page.get_by_role("heading", name="Recordings")).to_be_visible()
    page.get_by_role("link", name="Traffic stop on Troost").click()
    # a records custodian's viewing needs a reason: the form takes the player's place
    page.select_option("#reason-id", "records-request")
    page.fill("#reason-text", "PRR 26-114")
    page.get_by_role("button", name="View footage").click()
    video = page.locator("video#player")
    expect(video).to_be_visible()
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }"
    )
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=15000)
    assert page.evaluate("() => document.querySelector('video').error") is None
    page.reload()  # the custody log now shows the view and the stream
    expect(page.locator("table.events")).to_contain_text("stream")
    expect(page.locator("table.events")).to_contain_text("view")
    expect(page.locator("table.events")).to_contain_text("records-request: PRR 26-114")


def test_upload_page_sends_a_file_and_links_the_recording(
    page: Page, embedded_runtime: Runtime, base_url_live: str, tmp_path: Path
) -> None:
    clip = tmp_path / "dock-upload.mp4"
    make_clip(clip, seconds=2.0, seed=12)
    page.goto(f"{base_url_live}/upload")
    page.set_input_files("#files", str(clip))
    page.get_by_role("button", name="Upload").click()
    link = page.get_by_role("link", name="Ingested: recording")
    expect(link).to_be_visible(timeout=20000)
    expect(page.locator("#uploads progress")).to_have_attribute("value", str(clip.stat().st_size))
    link.click()
    expect(page.get_by_role("heading", name="dock-upload.mp4")).to_be_visible()
    expect(page.locator("#sha256")).to_have_text(hashlib.sha256(clip.read_bytes()).hexdigest())

"""A resident with a keyboard only (Tab, Enter, Space) on a release page: plays the video,
turns captions on, and downloads the proof bundle."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from sunlight.access.principal import Principal
from sunlight.captions import service as captions
from sunlight.captions.vtt import Cue
from sunlight.db.base import utcnow
from sunlight.evidence.models import Recording
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.conftest import embedded_settings
from tests.portal.support import decide
from tests.support.server import live_server

pytestmark = pytest.mark.browser

MAX_TABS = 60


@dataclass(frozen=True)
class Release:
    url: str
    id: int


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    runtime: Runtime = start(embedded_settings(tmp_path_factory.mktemp("keys") / "home"))
    try:
        with TestClient(create_app(runtime, start_worker=False)) as staff:
            done = decide(runtime, staff, cad="KC26-037001")
        _playable(runtime, done.derived_id, tmp_path_factory.mktemp("clip") / "clip.mp4")
        _captioned(runtime, done.derived_id)
        with live_server(runtime) as url:
            yield Release(f"{url}/public/releases/{done.release_id}", done.release_id)
    finally:
        runtime.close()


def _playable(runtime: Runtime, recording_id: int, clip: Path) -> None:
    """The test release's copy as a real, short video (the release helpers store stand-in
    bytes), so that the browser can play it."""
    make_clip(clip, seconds=3.0, width=320, height=240, seed=21)
    with clip.open("rb") as handle:
        stored = runtime.store.put_stream(handle)
    with runtime.db.session() as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        recording.sha256, recording.size_bytes = stored.sha256, clip.stat().st_size


def _captioned(runtime: Runtime, recording_id: int) -> None:
    """Approved English captions on the released copy, so that the page has a caption
    track (and the button that turns it on)."""
    actor, now = Principal.system("test").id, utcnow()
    cues = [Cue(0.0, 1.5, "[Steady tone]"), Cue(1.5, 3.0, "[Tone continues]")]
    version = captions.save_version(
        runtime, recording_id, cues, actor=actor, source="staff", now=now
    )
    captions.approve(runtime, recording_id, version=version.version, actor=actor, now=now)


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the element is focused (as a keyboard user would)."""
    target = page.locator(selector)
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reachable with Tab")


def test_play_the_video_with_the_keyboard(page: Page, release: Release) -> None:
    page.goto(release.url)
    tab_to(page, "video#player")
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => { const v = document.querySelector('#player');"
        " return !v.paused && v.currentTime > 0.2; }",
        timeout=15000,
    )
    assert page.evaluate("() => document.querySelector('#player').error") is None
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#player').paused", timeout=5000)


def test_turn_captions_on_with_the_keyboard(page: Page, release: Release) -> None:
    page.goto(release.url)
    expect(page.locator("video#player track[kind=captions]")).to_have_count(1)
    toggle = page.get_by_role("button", name="Captions")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    tab_to(page, "button#captions-toggle")
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelector('#player').textTracks[0].mode === 'showing'",
        timeout=5000,
    )
    expect(toggle).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Space")
    page.wait_for_function(
        "() => document.querySelector('#player').textTracks[0].mode === 'hidden'",
        timeout=5000,
    )
    expect(toggle).to_have_attribute("aria-pressed", "false")


def test_download_the_proof_bundle_with_the_keyboard(
    page: Page, release: Release, tmp_path: Path
) -> None:
    page.goto(release.url)
    tab_to(page, "a#proof")
    expect(page.locator("a#proof")).to_be_focused()
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename == f"release-{release.id}-proof.json"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    bundle = json.loads(saved.read_text(encoding="utf-8"))
    assert bundle["release"]["id"] == release.id

"""In Debian's Chromium: the review editor draws and edits the plan; the redacted copy plays."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.redaction import service
from sunlight.redaction.synthetic import GroundTruth
from sunlight.runtime import Runtime

pytestmark = pytest.mark.browser


@pytest.fixture
def recording(embedded_runtime: Runtime, faces_mp4: tuple[Path, GroundTruth]) -> int:
    result = ingest_file(
        embedded_runtime,
        faces_mp4[0],
        IngestMetadata(original_filename="faces.mp4", title="Stop on Prospect"),
        actor="test",
        source="cli",
    )
    return result.recording_id


def _red_pixels(page: Page) -> int:
    return int(
        page.evaluate(
            """() => {
              const c = document.getElementById('overlay');
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 0; i < d.length; i += 4) if (d[i] > 150 && d[i + 1] < 90 && d[i + 3] > 0) n++;
              return n;
            }"""
        )
    )


def test_editor_draws_the_plan_and_saves_edits_as_a_new_version(
    page: Page, embedded_runtime: Runtime, base_url_live: str, recording: int
) -> None:
    service.request_detection(embedded_runtime, recording, actor="test")
    page.goto(f"{base_url_live}/recordings/{recording}")
    page.locator("#redact-link").click()
    expect(page.get_by_role("heading", name="Redaction review")).to_be_visible()
    page.wait_for_function("() => window.redactionEditor && window.redactionEditor.state.plan")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    page.evaluate("() => { const v = document.getElementById('player'); v.currentTime = 0.2; }")
    page.wait_for_function("() => document.getElementById('overlay').width > 0")
    page.wait_for_timeout(300)
    assert _red_pixels(page) > 500, "the detected faces are drawn over the video"
    rows = page.locator("#tracks tr")
    assert rows.count() >= 2

    # Keep the first track visible (say, the officer), delete the second.
    first = rows.nth(0).get_attribute("data-track")
    rows.nth(0).locator("input.keep-visible").check()
    rows.nth(1).locator("button.delete-track").click()
    # Draw a manual box (a licence plate) on the canvas.
    page.locator("#draw-mode").check()
    page.locator("#new-kind").select_option("plate")
    box = page.locator("#overlay").bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 300, box["y"] + 300)
    page.mouse.down()
    page.mouse.move(box["x"] + 380, box["y"] + 340, steps=4)
    page.mouse.up()
    # Move the manual box by dragging it.
    page.mouse.move(box["x"] + 330, box["y"] + 320)
    page.mouse.down()
    page.mouse.move(box["x"] + 350, box["y"] + 330, steps=4)
    page.mouse.up()
    page.locator("#add-mute").click()
    page.locator("#note").fill("kept officer visible, plate added")
    page.locator("#save").click()
    expect(page.locator("#status")).to_contain_text("Saved as version 2")

    versions = service.plan_versions(embedded_runtime, recording)
    assert [v.version for v in versions] == [1, 2]
    _v, plan = service.get_plan(embedded_runtime, versions[-1].id)
    kept = [t for t in plan.tracks if t.id == first]
    assert kept and kept[0].keep_visible
    plates = [t for t in plan.tracks if t.kind == "plate"]
    assert plates and plates[0].source == "manual"
    assert len(plan.audio_mutes) == 1 and plan.audio_mutes[0].reason.statute.startswith("RSMo")
    _v1, first_plan = service.get_plan(embedded_runtime, versions[0].id)
    assert len(plan.tracks) == len(first_plan.tracks)  # one deleted, one added


def test_the_redacted_copy_plays_in_chromium(
    page: Page, embedded_runtime: Runtime, base_url_live: str, recording: int
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.result_plan_id is not None
    render = service.request_render(embedded_runtime, job.result_plan_id, actor="test")
    assert render.status == "done" and render.result_recording_id
    page.goto(f"{base_url_live}/recordings/{render.result_recording_id}")
    expect(page.locator("video#player")).to_be_visible()
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }"
    )
    page.wait_for_function("() => document.querySelector('video').currentTime > 0.5", timeout=15000)
    assert page.evaluate("() => document.querySelector('video').error") is None
    assert page.evaluate("() => document.querySelector('video').videoWidth") == 640


def test_the_editor_lists_what_to_check_first_and_goes_to_each(
    page: Page, embedded_runtime: Runtime, base_url_live: str, recording: int
) -> None:
    job = service.request_detection(embedded_runtime, recording, actor="test")
    assert job.result_plan_id is not None
    version, plan = service.get_plan(embedded_runtime, job.result_plan_id)
    track = plan.tracks[-1].id
    plan.review = [
        {"kind": "start", "track": track, "frame": 12, "end_frame": 14, "note": "look before"},
        {"kind": "small", "track": None, "frame": 20, "note": "tiny face?"},
    ]
    saved = service.save_plan(
        embedded_runtime, recording, plan, actor="test", source="review", parent_id=version.id
    )
    page.goto(f"{base_url_live}/recordings/{recording}/redact?plan={saved.id}")
    page.wait_for_function("() => window.redactionEditor && window.redactionEditor.state.plan")
    items = page.locator("#check-list li")
    expect(items).to_have_count(2)
    expect(page.locator("#check-these")).to_be_visible()
    expect(items.nth(0)).to_contain_text("track starts abruptly")
    expect(items.nth(0)).to_contain_text("frames 12–14")
    page.wait_for_function("() => document.getElementById('player').readyState >= 1")
    items.nth(0).locator("button.check-go").click()
    page.wait_for_function("() => window.redactionEditor.frameNow() === 12")
    assert page.evaluate("() => window.redactionEditor.state.selected") == track
    items.nth(0).locator("input[type=checkbox]").check()
    expect(page.locator("#check-count")).to_have_text("(1 of 2 checked)")

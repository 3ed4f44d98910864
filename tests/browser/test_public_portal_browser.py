"""A resident opens a released video's public page with no account: the video element
plays the released copy (fetched with Range by the browser), and the proof link leads to
the public proof bundle."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide

pytestmark = pytest.mark.browser


def test_a_resident_opens_a_release(page: Page, embedded_runtime: Runtime, live_url: str) -> None:
    with TestClient(create_app(embedded_runtime, start_worker=False)) as staff:
        done = decide(embedded_runtime, staff, cad="KC26-007100")

    page.goto(f"{live_url}/")
    expect(page).to_have_url(f"{live_url}/public")
    expect(page.get_by_role("link", name="Staff sign-in")).to_be_visible()
    page.get_by_role("navigation", name="Public").get_by_role(
        "link", name="Released footage"
    ).click()
    page.get_by_role("link", name=f"Release {done.release_id}").click()
    expect(page.get_by_role("heading", name=f"Released video {done.release_id}")).to_be_visible()
    assert page.get_by_text("Signed in as").count() == 0

    video = page.locator("video#player")
    expect(video).to_be_attached()
    source = page.locator("video#player source").get_attribute("src")
    assert source == f"/public/releases/{done.release_id}/media"
    media = page.request.get(f"{live_url}{source}", headers={"Range": "bytes=0-3"})
    assert media.status == 206

    proof = page.locator("a#proof")
    expect(proof).to_have_attribute("href", f"/api/public/releases/{done.release_id}/proof")
    expect(page.get_by_text("in the custody log at index")).to_be_visible()
    bundle = page.request.get(f"{live_url}/api/public/releases/{done.release_id}/proof")
    assert bundle.ok and bundle.json()["release"]["id"] == done.release_id

    # keyboard: the first Tab reaches "Skip to content", which moves focus to the main region
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()

    page.set_viewport_size({"width": 320, "height": 640})
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 320

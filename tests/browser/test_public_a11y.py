"""Accessibility of every public page, in English and in Spanish (WCAG 2.2 AA): axe-core
finds no violation; at 320 px nothing scrolls sideways; the skip link is the first stop and
moves focus to the content; focus is visible on each stop; reduced motion is respected.

axe-core comes from npm, pinned in tests/browser/axe/package-lock.json; the fixture runs
``npm ci`` there when node_modules is missing (CI does it too, in .ci/run).

To add a page (another area's), add one line to ``PUBLIC_PAGES``."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from sunlight.requests.models import RecordsRequest
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.conftest import embedded_settings
from tests.portal.support import decide
from tests.requests.support import file
from tests.support.server import live_server
from tests.support.services import unavailable

pytestmark = pytest.mark.browser

AXE_DIR = Path(__file__).parent / "axe"
AXE = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: The rule sets checked: WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LANGUAGES = ("en", "es")
NARROW = {"width": 320, "height": 640}


def _fill_request_form(page: Page) -> None:
    page.locator("input[name=name]").fill("Alex Example")
    page.locator("input[name=email]").fill("alex@example.org")
    page.locator("textarea[name=description]").fill("Footage of the stop on 1 December.")
    page.locator("#request-form button[type=submit]").click()
    expect(page.locator("#tracking-number")).to_be_visible()


@dataclass(frozen=True)
class PublicPage:
    name: str
    #: the address; ``{release}``, ``{token}`` and ``{tracking}`` are filled from the site's data
    path: str
    #: what to do after opening it (e.g. send a form to reach the page after it)
    then: Callable[[Page], None] | None = None
    #: the status the page answers with
    status: int = 200
    #: a page another area adds: skipped (with a reason) while it answers 404
    optional: bool = False


#: Every public page. The lead adds other areas' pages here (one line each).
PUBLIC_PAGES: list[PublicPage] = [
    PublicPage("home", "/public"),
    PublicPage("releases", "/public/releases"),
    PublicPage("releases-filtered", "/public/releases?type=nothing-matches&from=2020-01-01"),
    PublicPage("release", "/public/releases/{release}"),
    PublicPage("request-log", "/public/requests"),
    PublicPage("request-form", "/public/requests/new"),
    PublicPage("request-created", "/public/requests/new", then=_fill_request_form),
    PublicPage("request-tracking", "/public/requests/track/{token}"),
    PublicPage("request-public", "/public/requests/{tracking}"),
    PublicPage("error-404", "/public/releases/999999", status=404),
    PublicPage("stats", "/public/stats"),
    PublicPage("policies", "/public/policies"),
    PublicPage("policy", "/public/policies/release", optional=True),
    PublicPage("data", "/public/data"),
]


@dataclass(frozen=True)
class Site:
    url: str
    data: dict[str, Any]

    def address(self, page: PublicPage, lang: str) -> str:
        path = page.path.format(**self.data)
        return f"{self.url}{path}{'&' if '?' in path else '?'}lang={lang}"


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("npm is not installed: cannot install axe-core (apt-get install npm)")
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AXE_DIR,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=300,
            check=False,
        )
        if done.returncode != 0 or not AXE.exists():
            unavailable(f"`npm ci` in {AXE_DIR} failed: {done.stderr[-2000:]}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    runtime: Runtime = start(embedded_settings(tmp_path_factory.mktemp("a11y") / "home"))
    try:
        with TestClient(create_app(runtime, start_worker=False)) as staff:
            done = decide(runtime, staff, cad="KC26-027001")
        request_id, token = file(runtime)
        with runtime.db.session(read_only=True) as session:
            tracking = session.get(RecordsRequest, request_id).tracking_number  # type: ignore[union-attr]
        with live_server(runtime) as url:
            yield Site(url, {"release": done.release_id, "token": token, "tracking": tracking})
    finally:
        runtime.close()


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # axe is injected as a script tag; the pages' CSP (rightly) refuses inline script
    return {**browser_context_args, "bypass_csp": True}


def _open(page: Page, site: Site, which: PublicPage, lang: str) -> None:
    answer = page.goto(site.address(which, lang))
    assert answer is not None
    if which.optional and answer.status == 404:
        pytest.skip(f"{which.path} does not exist in this branch yet (another area adds it)")
    assert answer.status == which.status, f"{which.path}: {answer.status}"
    if which.then is not None:
        which.then(page)
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    page.add_script_tag(content=axe_source)
    result: dict[str, Any] = page.evaluate(
        """async (tags) => await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        WCAG_TAGS,
    )
    return list(result["violations"])


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(n["target"]) for n in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -> {targets}")
    return "\n".join(lines)


PARAMS = [
    pytest.param(which, lang, id=f"{which.name}-{lang}")
    for which in PUBLIC_PAGES
    for lang in LANGUAGES
]


@pytest.mark.parametrize(("which", "lang"), PARAMS)
def test_axe_finds_no_violation(
    page: Page, site: Site, axe_source: str, which: PublicPage, lang: str
) -> None:
    _open(page, site, which, lang)
    violations = _violations(page, axe_source)
    assert not violations, _describe(violations)
    page.set_viewport_size(NARROW)
    violations = _violations(page, axe_source)
    assert not violations, "at 320 px:\n" + _describe(violations)


@pytest.mark.parametrize(("which", "lang"), PARAMS)
def test_nothing_scrolls_sideways_at_320_px(
    page: Page, site: Site, which: PublicPage, lang: str
) -> None:
    page.set_viewport_size(NARROW)
    _open(page, site, which, lang)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= NARROW["width"], (
        f"{which.path} is {width} px wide at 320 px; too wide: {page.evaluate(_TOO_WIDE)}"
    )


#: The elements that reach past the viewport's right edge (the first few), to name the
#: culprit when a page scrolls sideways.
_TOO_WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .slice(0, 8)
  .map(el => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}`
    + ` (${Math.round(el.getBoundingClientRect().right)} px):`
    + ` ${(el.textContent || '').trim().slice(0, 40)}`)"""


_FOCUS_RING = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {tag: el.tagName, type: el.type, id: el.id, fv: el.matches(':focus-visible'), f: el.matches(':focus'), text: (el.textContent || '').trim().slice(0, 40),
          outline: s.outlineStyle, width: parseFloat(s.outlineWidth),
          w: box.width, h: box.height};
}"""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(
    "which",
    [p for p in PUBLIC_PAGES if p.then is None and not p.optional],
    ids=lambda p: p.name,
)
def test_skip_link_first_and_focus_always_visible(
    page: Page, site: Site, which: PublicPage, lang: str
) -> None:
    _open(page, site, which, lang)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, "the skip link is off screen"
    for _ in range(25):  # every stop shows a focus ring
        ring = page.evaluate(_FOCUS_RING)
        if ring is None or not ring["f"]:
            break  # focus left the page (past its last stop)
        assert ring["outline"] != "none" and ring["width"] >= 2, str(ring)
        assert ring["w"] > 0 and ring["h"] > 0, ring
        page.keyboard.press("Tab")
    page.goto(site.address(which, lang))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()


def test_reduced_motion_is_respected(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/public")
    style = "([sel, prop]) => getComputedStyle(document.querySelector(sel))[prop]"
    assert page.evaluate(style, ["html", "scrollBehavior"]) == "smooth"
    page.emulate_media(reduced_motion="reduce")
    assert page.evaluate(style, ["html", "scrollBehavior"]) == "auto"
    duration = page.evaluate(style, ["a", "transitionDuration"])
    assert duration.endswith("s") and float(duration[:-1]) <= 0.0001, duration


def test_axe_does_catch_a_violation(page: Page, axe_source: str) -> None:
    """The check is real: a page with an unlabelled field and an image without text fails."""
    page.set_content(
        '<!doctype html><html lang="en"><head><title>t</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input name="q"></main></body></html>'
    )
    found = {v["id"] for v in _violations(page, axe_source)}
    assert {"image-alt", "label"} <= found, found

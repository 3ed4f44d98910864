"""The "Verify in my browser" part of a public release page: rendered with every word the
script shows (in data-m-* attributes, so they are translated server-side), a static script
(no inline script: CSP), the URLs it checks, and a Spanish catalogue covering every string.
The checks themselves run in a browser: tests/browser/test_public_verify_browser.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide

SRC = Path(__file__).parents[2] / "src/sunlight"
PARTIAL = SRC / "portal/templates/public_verify.html"
SCRIPT = SRC / "web/static/public-verify.js"
CATALOGUE = SRC / "portal/locale/es/LC_MESSAGES/webverify.po"
PLACEHOLDER = re.compile(r"\{[a-z]+\}")


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def _strings() -> list[str]:
    options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
    return [m[1] for m in extract_from_file("jinja2", str(PARTIAL), options=options)]


def test_the_release_page_offers_the_check(runtime: Runtime, client: TestClient) -> None:
    done = decide(runtime, client, cad="KC26-007310")
    page = client.get(f"/public/releases/{done.release_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="verify"' in html and ">Verify in my browser</button>" in html
    assert f'data-proof-url="/api/public/releases/{done.release_id}/proof"' in html
    assert f'data-media-url="/public/releases/{done.release_id}/media"' in html
    assert 'data-key-url="/log/key"' in html and 'data-witnesses-url="/log/witnesses"' in html
    # the verifier's script, and the captions' (a release is decided with approved captions)
    assert sorted(re.findall(r"<script\b[^>]*>", html)) == [
        '<script src="/static/public-captions.js" defer>',
        '<script src="/static/public-verify.js" defer>',
    ]
    assert 'role="status" aria-live="polite"' in html
    assert html.count('data-state="pending"') == 6
    # Every message key the script asks for is rendered.
    script = SCRIPT.read_text(encoding="utf-8")
    asked = set(re.findall(r'(?:msg|fail)\("([a-z-]+)"(?!\s*\+)', script))
    asked |= {"pending", "running", "pass", "fail", "skipped"}
    asked |= {
        f"{kind}-{part}"
        for kind in ("signed", "cosigned", "included")
        for part in ("released", "original")
    }
    rendered = set(re.findall(r'data-m-([a-z-]+)="', html))
    assert asked <= rendered, sorted(asked - rendered)
    for path in ("/static/public-verify.js", "/static/public-verify.css"):
        assert client.get(path).status_code == 200


def test_every_string_has_a_spanish_translation_with_its_placeholders() -> None:
    with CATALOGUE.open("rb") as f:
        catalogue = read_po(f, locale="es")
    strings = _strings()
    assert len(strings) > 50
    for text in strings:
        message = catalogue.get(text)
        assert message is not None and message.string, text
        assert isinstance(message.string, str)
        assert sorted(PLACEHOLDER.findall(message.string)) == sorted(PLACEHOLDER.findall(text))
        # Jinja marks translations safe (not escaped again) and formats them with %: they go
        # into HTML attributes, so neither they nor their English may hold these.
        for raw in (text, message.string):
            assert not set(raw) & set('"<>&%'), raw

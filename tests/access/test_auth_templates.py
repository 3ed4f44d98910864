"""Every page works under the Content Security Policy (no inline script) and every form
that posts carries the CSRF field."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src/sunlight"
TEMPLATES = sorted(
    [*(SRC / "web/templates").glob("*.html"), *(SRC / "portal/templates").glob("*.html")]
)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_inline_script(template: Path) -> None:
    text = template.read_text()
    for tag in re.findall(r"<script\b[^>]*>", text):
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script: {tag}"
    assert not re.search(r"\son[a-z]+\s*=", text), "inline event handler"
    assert "javascript:" not in text


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_posting_forms_carry_the_csrf_field(template: Path) -> None:
    text = template.read_text()
    for form in re.findall(r"<form\b[^>]*>.*?</form>", text, flags=re.S):
        if re.search(r'method="post"', form, flags=re.I):
            assert "csrf_field()" in form, form[:200]

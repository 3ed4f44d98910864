"""Every string the public policy pages show has a Spanish translation in policies.po."""

from __future__ import annotations

import ast
from pathlib import Path

from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

import sunlight

SRC = Path(sunlight.__file__).parent
PO = SRC / "portal/locale/es/LC_MESSAGES/policies.po"


def _marked() -> set[tuple[str | None, str]]:
    """Every (context, text) the policy pages mark (context None: marked without one)."""
    found: set[tuple[str | None, str]] = set()
    for template in sorted((SRC / "portal/templates").glob("public_polic*.html")):
        with template.open("rb") as handle:
            options = {"extensions": "jinja2.ext.i18n"}
            for _, _, message, _ in babel_extract(handle, ["_", "gettext"], [], options):
                if isinstance(message, tuple):
                    message = message[0]
                if isinstance(message, str):
                    found.add((None, message))
    for module in ("registry.py", "render.py", "public_pages.py"):
        tree = ast.parse((SRC / "policies" / module).read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            args = node.args
            if node.func.id == "N_" and isinstance(args[0], ast.Constant):
                found.add((None, str(args[0].value)))
            elif (
                node.func.id == "NC_"
                and isinstance(args[0], ast.Constant)
                and isinstance(args[1], ast.Constant)
            ):
                found.add((str(args[0].value), str(args[1].value)))
    return found


def test_every_policy_page_string_has_spanish() -> None:
    with PO.open("rb") as handle:
        catalog = read_po(handle)
    translated = {(m.context, str(m.id)): m.string for m in catalog if m.id and m.string}
    marked = _marked()
    assert len(marked) > 100
    assert ("policy version status", "Withdrawn") in marked
    missing = sorted(marked - set(translated), key=lambda m: (m[1], m[0] or ""))
    assert not missing, f"no Spanish in policies.po for: {missing}"

"""Every string the statistics page marks for translation (template and figure texts) has
a Spanish translation in the stats catalogue, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "src" / "sunlight"
CATALOGUE = ROOT / "portal" / "locale" / "es" / "LC_MESSAGES" / "stats.po"
SOURCES = [
    (ROOT / "portal" / "templates" / "public_stats.html", "jinja2.ext:babel_extract"),
    (ROOT / "stats" / "figures.py", "python"),
]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def test_every_marked_string_is_translated_to_spanish() -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    marked: set[tuple[str, str | None]] = set()
    keywords = {"_": None, "N_": None, "NC_": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}
    for path, method in SOURCES:
        for _, message, _, context in extract_from_file(method, str(path), keywords=keywords):
            assert isinstance(message, str)
            marked.add((message, context))
    assert len(marked) > 100
    assert ("Received", "requests counted") in marked
    for message, context in sorted(marked, key=lambda m: (m[0], m[1] or "")):
        found = catalogue.get(message, context=context)
        assert found is not None and found.string, f"no Spanish for {message!r} ({context})"
        assert isinstance(found.string, str)
        assert set(PLACEHOLDER.findall(found.string)) == set(PLACEHOLDER.findall(message))

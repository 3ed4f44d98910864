"""Every text the release page shows is marked for translation and has Spanish in the
page's own catalogue (locale/es/LC_MESSAGES/relpage.po), with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from sunlight.incidents.terms import INCIDENT_TYPES
from sunlight.portal import release_detail

PORTAL = Path(release_detail.__file__).parent
CATALOGUE = PORTAL / "locale" / "es" / "LC_MESSAGES" / "relpage.po"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


def _marked() -> set[str]:
    found: set[str] = set()
    sources = (
        ("python", PORTAL / "release_detail.py", {}),
        ("jinja2", PORTAL / "templates" / "public_release.html", {"extensions": "jinja2.ext.i18n"}),
    )
    for method, path, options in sources:
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords={"_": None, "N_": None}, options=options
        ):
            found.add(message if isinstance(message, str) else message[0])
    found.discard("")
    return found


def test_every_marked_text_has_spanish_with_the_same_placeholders() -> None:
    with CATALOGUE.open("rb") as f:
        catalogue = {m.id: m.string for m in read_po(f) if m.id}
    wanted = _marked() | set(release_detail.KNOWN_REASONS) | set(INCIDENT_TYPES.values())
    assert len(wanted) > 100
    for msgid in sorted(wanted):
        spanish = catalogue.get(msgid)
        assert spanish, f"no Spanish for {msgid!r}"
        assert sorted(PLACEHOLDER.findall(spanish)) == sorted(PLACEHOLDER.findall(msgid)), msgid


def test_the_template_has_no_unmarked_visible_text() -> None:
    """Text between tags is a translation call, a value, or punctuation: never bare words."""
    html = (PORTAL / "templates" / "public_release.html").read_text(encoding="utf-8")
    html = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", html, flags=re.S)
    html = re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)  # a command line, not prose
    words = [t.strip() for t in re.findall(r">([^<]+)<", html)]
    bare = [w for w in words if re.search(r"[A-Za-z]{2,}", w)]
    assert bare == []

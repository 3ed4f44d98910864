"""The public pages speak English and Spanish: every text marked on a public page (templates
and ``N_`` strings) has a Spanish translation, no two catalogue files disagree, the reader's
language comes from ``?lang=`` (remembered in a cookie), then the cookie, then
``Accept-Language``, and each page says which language it is in and links to the other."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from fastapi.testclient import TestClient

from sunlight.portal import i18n
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.requests.support import MONDAY, file

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "sunlight"


#: What ``pybabel extract -F babel.cfg -k N_ -k NC_:1c,2`` looks for.
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "N_": None,
    "NC_": ((1, "c"), 2),
}


def marked_messages() -> dict[tuple[str | None, str], list[str]]:
    """Every (context, msgid) that ``pybabel extract -F babel.cfg`` finds, with where it
    was found (context None: a text marked without one)."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[tuple[str | None, str], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def test_babel_cfg_covers_every_public_template() -> None:
    public = [
        *(SRC / "portal" / "templates").glob("*.html"),
        *(SRC / "web" / "templates").glob("public_*.html"),
    ]
    assert len(public) >= 9
    locations = {loc.split(":")[0] for locs in marked_messages().values() for loc in locs}
    for template in public:
        assert str(template.relative_to(ROOT)) in locations, f"{template.name}: no marked text"


def test_every_marked_public_text_has_a_spanish_translation() -> None:
    messages = marked_messages()
    assert len(messages) > 100
    catalogue = i18n.merge("es").catalog
    missing = []
    for (context, msgid), where in sorted(messages.items(), key=lambda i: (i[0][1], i[0][0] or "")):
        entry = catalogue.get(msgid, context=context)
        if entry is None:
            entry = next(
                (
                    m
                    for m in catalogue
                    if isinstance(m.id, tuple) and m.id[0] == msgid and m.context == context
                ),
                None,
            )
        strings = [] if entry is None else entry.string
        texts = [strings] if isinstance(strings, str) else list(strings or [])
        if not texts or not all(t.strip() for t in texts):
            what = f"{msgid!r} (context {context!r})" if context else repr(msgid)
            missing.append(f"{what} ({where[0]})")
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_the_catalogue_files_do_not_contradict_each_other() -> None:
    merged = i18n.merge("es")  # strict: raises CatalogueConflict on a contradiction
    assert any(p.name == "portal.po" for p in merged.files)
    for msgid, found in merged.sources.items():
        assert len({t for _, t in found if t}) <= 1, msgid


def test_a_contradiction_between_two_files_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    (folder / "a.po").write_text(header + 'msgid "Status"\nmsgstr "Estado"\n', "utf-8")
    (folder / "b.po").write_text(header + 'msgid "Status"\nmsgstr "Situación"\n', "utf-8")
    with pytest.raises(i18n.CatalogueConflict, match="Status"):
        i18n.merge("es", tmp_path)
    (folder / "b.po").write_text(
        header + 'msgid "Status"\nmsgstr "Estado"\n\nmsgid "Due"\nmsgstr "Vence"\n', "utf-8"
    )
    merged = i18n.merge("es", tmp_path)
    assert merged.catalog.get("Due").string == "Vence" and len(merged.files) == 2


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "en"),
        ("es", None, None, "es"),
        ("ES-mx", "en", "en", "es"),
        ("fr", "es", "en", "es"),  # an unknown ?lang= falls through to the cookie
        (None, "es", "en-US,en;q=0.9", "es"),
        (None, None, "es-419,es;q=0.9,en;q=0.8", "es"),
        (None, None, "fr-CA, en;q=0.3, es;q=0.7", "es"),
        (None, None, "de, fr", "en"),
        (None, None, "es;q=0, en", "en"),
        (None, None, "es;q=nonsense", "en"),
    ],
)
def test_language_negotiation(
    query: str | None, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert i18n.negotiate(query, cookie, accept) == expected


def test_dates_numbers_and_fees_are_written_the_reader_s_way() -> None:
    moment = datetime(2026, 5, 1, 14, 3, tzinfo=UTC)
    assert i18n.when(moment, "en") == "2026-05-01 14:03 UTC"
    assert i18n.when(moment, "es") == "1 de mayo de 2026, 14:03 UTC"
    assert i18n.day(date(2026, 12, 7), "es") == "7 de diciembre de 2026"
    assert i18n.day(date(2026, 12, 7), "en") == "2026-12-07"
    assert (i18n.number(12345, "en"), i18n.number(12345, "es")) == ("12,345", "12.345")
    assert i18n.fee(1250, "en") == "$12.50" and i18n.fee(1250, "es").startswith("12,50")
    with i18n.speaking("es"):
        assert i18n.gettext("Skip to content") == "Ir al contenido"
        assert i18n.ngettext("%(num)s released video.", "%(num)s released videos.", 2) == (
            "%(num)s videos publicados."
        )
    assert i18n.gettext("Skip to content") == "Skip to content"


# -- the pages ----------------------------------------------------------------------------


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


#: Each public page and a Spanish text it must show.
SPANISH = {
    "/public": "Grabaciones de cámaras corporales: registros públicos",
    "/public/releases": "Grabaciones publicadas",
    "/public/requests": "Registro público de solicitudes",
    "/public/requests/new": "Solicitar registros (Ley Sunshine de Misuri)",
    "/public/releases/999999": "No hay ninguna página pública en esta dirección",
}


def _pages(runtime: Runtime, client: TestClient) -> dict[str, str]:
    done = decide(runtime, client, cad="KC26-017001")
    _, token = file(runtime)
    client.cookies.clear()
    return {
        **SPANISH,
        f"/public/releases/{done.release_id}": "Verificado:",
        f"/public/requests/track/{token}": "Qué ha pasado",
    }


def _speaks(html: str, lang: str, text: str) -> None:
    assert f'<html lang="{lang}">' in html, html[:200]
    assert text in html, text
    assert 'hreflang="en"' in html and 'hreflang="es"' in html
    assert re.search(r'<a href="[^"]*lang=en"[^>]* lang="en"', html), "no link to English"


def test_every_public_page_in_spanish_by_query_and_by_accept_language(
    runtime: Runtime, client: TestClient
) -> None:
    pages = _pages(runtime, client)
    for path, spanish in pages.items():
        html = client.get(path, params={"lang": "es"}, headers={"Accept": "text/html"}).text
        _speaks(html, "es", spanish)
        client.cookies.clear()
        answer = client.get(path, headers={"Accept": "text/html", "Accept-Language": "es-MX"})
        _speaks(answer.text, "es", spanish)
        assert answer.headers["content-language"] == "es"
        assert "set-cookie" not in answer.headers  # only an explicit choice is remembered
        english = client.get(path, headers={"Accept": "text/html"}).text
        assert '<html lang="en">' in english and spanish not in english


def test_the_choice_is_remembered_and_the_switch_keeps_path_and_query(
    client: TestClient,
) -> None:
    answer = client.get("/public/releases", params={"type": "dui", "lang": "es"})
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{i18n.COOKIE}=es") and "samesite=lax" in cookie.lower()
    assert 'href="/public/releases?type=dui&amp;lang=en"' in answer.text
    later = client.get("/public/requests", headers={"Accept-Language": "en"})
    assert '<html lang="es">' in later.text  # the cookie wins over Accept-Language
    back = client.get("/public/requests", params={"lang": "en"})
    assert '<html lang="en">' in back.text
    assert client.cookies.get(i18n.COOKIE) == "en"


def test_public_json_stays_english(client: TestClient) -> None:
    answer = client.get("/api/public/releases/999999/proof", headers={"Accept-Language": "es"})
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/json"
    assert "content-language" not in answer.headers and "no released copy" in answer.text


# -- one English text, two Spanish forms: gettext contexts --------------------------------


def test_a_context_picks_the_form_spanish_needs() -> None:
    with i18n.speaking("es"):
        assert i18n.gettext("Received") == "Recibida"  # one request, received on a date
        assert i18n.pgettext("requests counted", "Received") == "Recibidas"
        assert i18n.pgettext("requests counted", "Withdrawn") == "Retiradas"
        assert i18n.pgettext("policy version status", "Withdrawn") == "Retirada"
        # a context is its own entry: no silent fall-back to another form
        assert i18n.pgettext("no such context", "Received") == "Received"
    assert i18n.pgettext("requests counted", "Received") == "Received"  # English as written


def test_each_context_is_checked_for_contradictions_on_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "es" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    (folder / "a.po").write_text(header + 'msgid "Received"\nmsgstr "Recibida"\n', "utf-8")
    counted = 'msgctxt "requests counted"\nmsgid "Received"\nmsgstr "Recibidas"\n'
    (folder / "b.po").write_text(header + counted, "utf-8")
    merged = i18n.merge("es", tmp_path)  # two contexts, two forms: no contradiction
    assert merged.catalog.get("Received").string == "Recibida"
    assert merged.catalog.get("Received", context="requests counted").string == "Recibidas"
    (folder / "c.po").write_text(header + counted.replace("Recibidas", "Recibido"), "utf-8")
    with pytest.raises(i18n.CatalogueConflict, match="context 'requests counted'"):
        i18n.merge("es", tmp_path)


def test_the_pages_use_the_form_of_their_context(runtime: Runtime) -> None:
    file(runtime)
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: MONDAY + timedelta(days=1)
    with TestClient(app) as client:
        entry = client.get("/public/requests/R-2026-000001", params={"lang": "es"}).text
        assert "<dt>Recibida</dt>" in entry and "Recibidas" not in entry
        stats = client.get(
            "/public/stats", params={"lang": "es", "from": "2026-12-01", "to": "2026-12-31"}
        ).text
    assert '<th scope="row">Recibidas</th>' in stats
    assert '<th scope="row">Retiradas</th>' in stats and "Recibida<" not in stats

"""The public pages' languages: which ones we speak, the Spanish catalogue (every
``locale/<lang>/LC_MESSAGES/*.po`` merged), choosing a reader's language, and dates and
numbers written the way that language writes them.

Public JSON stays English; only the HTML pages are translated. Text is marked in templates
with ``{{ _("...") }}`` / ``{% trans %}`` and in Python with :func:`N_` (a no-op marker that
``pybabel extract`` and the completeness test find; a template then shows ``{{ _(value) }}``).

One English text that Spanish writes two ways (a request "Received" is *Recibida*, requests
counted as "Received" are *Recibidas*) is told apart by a gettext **context**: the template
writes ``{{ pgettext("requests counted", value) }}``, Python marks the text with
:func:`NC_` (``NC_("requests counted", "Received")``), and the catalogue has an entry with
``msgctxt "requests counted"``. A context is its own entry: ``pgettext`` never falls back to
the entry without one (it falls back to the English).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import jinja2
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

#: Where the catalogues live: ``locale/<lang>/LC_MESSAGES/<area>.po``, one file per area.
LOCALE_DIR = Path(__file__).parent / "locale"
DEFAULT = "en"
#: The languages the public pages are written in, each named in its own language.
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
#: ``?lang=xx`` stores the choice in this cookie; later pages read it.
COOKIE = "sunlight_lang"
COOKIE_MAX_AGE_S = 365 * 24 * 3600


def N_(message: str) -> str:
    """Mark a module-level string for translation; a template translates it when shown."""
    return message


def NC_(context: str, message: str) -> str:
    """Mark a module-level string for translation in ``context``; a template shows it with
    ``{{ pgettext(context, value) }}``."""
    del context
    return message


#: How gettext stores a context with its text: ``context`` EOT ``msgid``.
CONTEXT_SEPARATOR = "\x04"


def entry_key(msgid: str, context: str | None) -> str:
    """The key a catalogue entry has in the gettext table (and in the conflict check)."""
    return msgid if not context else f"{context}{CONTEXT_SEPARATOR}{msgid}"


class CatalogueConflict(ValueError):
    """Two catalogue files of one language translate the same text differently."""


@dataclass(frozen=True)
class Merged:
    """One language's catalogue files read and merged."""

    catalog: Catalog
    files: tuple[Path, ...]
    #: entry key (msgid, or context EOT msgid) -> every (file, msgstr) that translates it
    #: (for the conflict check)
    sources: Mapping[str, tuple[tuple[Path, str], ...]]


def catalogue_files(lang: str, root: Path = LOCALE_DIR) -> tuple[Path, ...]:
    return tuple(sorted((root / lang / "LC_MESSAGES").glob("*.po")))


def merge(lang: str, root: Path = LOCALE_DIR, *, strict: bool = True) -> Merged:
    """Every ``.po`` of ``lang`` merged into one catalogue. A text translated differently by
    two files is refused when ``strict`` (the first file, by name, wins otherwise)."""
    merged = Catalog(locale=lang, domain="messages", charset="utf-8")
    sources: dict[str, list[tuple[Path, str]]] = {}
    files = catalogue_files(lang, root)
    for path in files:
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            key = entry_key(msgid, message.context)
            text = (
                message.string
                if isinstance(message.string, str)
                else " | ".join(message.string or ())
            )
            sources.setdefault(key, []).append((path, text))
            if merged.get(msgid, context=message.context) is None:
                merged.add(message.id, message.string, context=message.context)
    if strict:
        for key, found in sources.items():
            texts = {t for _, t in found if t.strip(" |")}
            if len(texts) > 1:
                where = ", ".join(f"{p.name}: {t!r}" for p, t in found)
                context, _, msgid = key.rpartition(CONTEXT_SEPARATOR)
                what = f"{msgid!r} (context {context!r})" if context else repr(msgid)
                raise CatalogueConflict(f"{what} is translated differently: {where}")
    return Merged(merged, files, {k: tuple(v) for k, v in sources.items()})


def _translations_of(catalog: Catalog) -> Translations:
    found = Translations(domain="messages")
    table: dict[str | tuple[str, int], str] = {}
    for message in catalog:
        if isinstance(message.id, str) and isinstance(message.string, str) and message.string:
            # an empty msgstr falls back to English
            table[entry_key(message.id, message.context)] = message.string
        elif (
            isinstance(message.id, (tuple, list))
            and isinstance(message.string, (tuple, list))
            and all(message.string)
        ):
            for index, text in enumerate(message.string):
                table[(entry_key(message.id[0], message.context), index)] = text
    found._catalog = table
    found.plural = lambda n: int(n != 1)
    return found


@cache
def translations(lang: str) -> NullTranslations:
    """The gettext object for ``lang`` (read once, on first use)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return NullTranslations()
    return _translations_of(merge(lang).catalog)


# -- the language of the page being written -----------------------------------------------

_current: contextvars.ContextVar[str] = contextvars.ContextVar("sunlight_lang", default=DEFAULT)


def current() -> str:
    return _current.get()


@contextmanager
def speaking(lang: str) -> Iterator[None]:
    """Write pages in ``lang`` inside this block (templates render synchronously in it)."""
    token = _current.set(lang if lang in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` as written in ``context`` (its ``msgctxt``); the English if untranslated."""
    return str(translations(current()).pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(translations(current()).npgettext(context, singular, plural, n))


# -- choosing a reader's language ---------------------------------------------------------


def supported(value: str | None) -> str | None:
    """``value`` as one of our language codes (``es-MX`` -> ``es``), or None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The first language of an ``Accept-Language`` header we speak, by quality."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:30]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        code = supported(tag)
        if code and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None


def negotiate(query: str | None, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=``, else the ``sunlight_lang`` cookie, else ``Accept-Language``, else English."""
    return supported(query) or supported(cookie) or from_accept_language(accept_language) or DEFAULT


# -- dates and numbers --------------------------------------------------------------------


def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT)


def when(value: datetime | None, lang: str | None = None) -> str:
    """A moment, in UTC: ``2026-05-01 14:03 UTC`` in English, ``1 de mayo de 2026, 14:03 UTC``
    in Spanish."""
    if value is None:
        return "—"
    lang = lang or current()
    moment = value.astimezone(UTC)
    if lang == DEFAULT:
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"{format_date(moment.date(), 'long', locale=_locale(lang))}, {moment:%H:%M} UTC"


def day(value: date | None, lang: str | None = None) -> str:
    """A calendar day: ISO 8601 in English, ``1 de mayo de 2026`` in Spanish."""
    if value is None:
        return "—"
    lang = lang or current()
    if lang == DEFAULT:
        return value.isoformat()
    return format_date(value, "long", locale=_locale(lang))


def number(value: int | float, lang: str | None = None) -> str:
    """A number with the language's grouping and decimal marks (``12,345`` / ``12.345``)."""
    return format_decimal(value, locale=_locale(lang or current()))


def fee(cents: int, lang: str | None = None) -> str:
    """US dollars from cents: ``$12.50`` in English, ``12,50 US$`` in Spanish."""
    return format_currency(cents / 100, "USD", locale=_locale(lang or current()))


def install(env: jinja2.Environment) -> None:
    """Give a template environment the current language's ``_``/``gettext``/``ngettext`` and
    ``pgettext``/``npgettext`` (newstyle: ``{{ _("%(n)s videos", n=3) }}``) and the
    ``local_when``/``day``/``number`` filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext, ngettext, newstyle=True, pgettext=pgettext, npgettext=npgettext
    )
    env.filters["local_when"] = when
    env.filters["day"] = day
    env.filters["number"] = number
    env.globals["fee"] = fee

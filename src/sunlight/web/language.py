"""The public pages' language on the web: read it from the request (``?lang=``, the
``sunlight_lang`` cookie, ``Accept-Language``), write the page in it, offer the switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from sunlight.portal import i18n


def language_of(request: Request) -> str:
    return i18n.negotiate(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )


def switch_links(request: Request, lang: str) -> list[dict[str, Any]]:
    """One link per language to this very page (same path, same query) in that language."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    links = []
    for code, name in i18n.LANGUAGES.items():
        href = f"{request.url.path}?{urlencode([*kept, ('lang', code)])}"
        links.append({"code": code, "name": name, "href": href, "current": code == lang})
    return links


def render_localized(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    context: dict[str, Any],
    status_code: int = 200,
) -> HTMLResponse:
    """Render a public page in the reader's language; ``?lang=`` is remembered in a cookie."""
    lang = language_of(request)
    context = {**context, "lang": lang, "languages": switch_links(request, lang)}
    with i18n.speaking(lang):
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if i18n.supported(request.query_params.get("lang")):
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=i18n.COOKIE_MAX_AGE_S,
            samesite="lax",
            secure=request.url.scheme == "https",
            httponly=True,
        )
    response.headers["Content-Language"] = lang
    response.headers.setdefault("Vary", "Accept-Language, Cookie")
    return response

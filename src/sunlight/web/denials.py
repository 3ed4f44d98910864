"""The one door for a web refusal that names no resource: the coarse permission gate
(``web/deps.py``: not signed in, or a permission the principal never holds) and the
cross-site/CSRF checks (``web/security.py``) both come here.

Every refusal is counted in ``refusal_tallies`` under its permission (``csrf`` for a
cross-site or CSRF refusal); a signed-in actor's (a user, a token) is also an
``access.denied`` custody event once a minute per permission and route
(``sunlight.audit.refusals``). An anonymous caller's are counted in memory: the first of
each route and permission in a minute is written at once, the rest of that minute with the
next one written (so a flood of anonymous requests makes one small write a minute a route,
not one a request, never queues behind the writer lock, and never reaches the custody log).
Recording never changes the answer: if it fails (the database busy), the refusal is logged
and answered as usual.

This module imports nothing of ``sunlight.web`` (the security middleware and the request
dependencies both use it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import datetime

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from sunlight.access.principal import Principal
from sunlight.audit.refusals import minute_of, note_refusal
from sunlight.runtime import Runtime

try:  # FastAPI >= 0.165 nests included routers; this walks them in matching order
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI
    iter_route_contexts = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: The permission a cross-site or CSRF refusal is counted and recorded under.
CSRF = "csrf"

#: In-process counts of anonymous refusals not yet written, per database: (permission,
#: route) -> (minute, count since that minute's first was written).
_ANONYMOUS = "web.anonymous_refusals"
_anonymous_lock = threading.Lock()


def flat_routes(routes: Sequence[BaseRoute]) -> list[BaseRoute]:
    """The app's routes in matching order (FastAPI >= 0.165 nests included routers)."""
    if iter_route_contexts is None:  # pragma: no cover - older FastAPI: a flat list
        return list(routes)
    return [context.route for context in iter_route_contexts(routes)]


def declared_route(routes: Sequence[BaseRoute], scope: Scope) -> str:
    """``METHOD /declared/{path}`` for a request the router has not matched yet (the
    security middleware runs before routing): the first route that matches it fully, else
    the first that matches but for the method, else ``METHOD (no route)``. A caller cannot
    multiply tally rows or pending counts by varying ids, paths or query strings."""
    method = str(scope.get("method", ""))
    partial: str | None = None
    for route in flat_routes(routes):
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            continue
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return f"{method} {path}"
        if match == Match.PARTIAL and partial is None:
            partial = path
    return f"{method} {partial}" if partial is not None else f"{method} (no route)"


def record_refusal(
    runtime: Runtime,
    principal: Principal,
    permission: str,
    route: str,
    why: str,
    now: datetime,
) -> None:
    """Count (and for a signed-in actor, record) one refusal, in its own transaction."""
    writes: list[tuple[datetime, int]] = [(now, 1)]
    if not principal.is_authenticated:
        minute = minute_of(now)
        with _anonymous_lock:
            pending: dict[tuple[str, str], tuple[datetime, int]] = runtime.db.caches.setdefault(
                _ANONYMOUS, {}
            )
            key = (permission, route)
            earlier = pending.get(key)
            if earlier is not None and earlier[0] == minute:
                pending[key] = (minute, earlier[1] + 1)
                return
            pending[key] = (minute, 0)
        if earlier is not None and earlier[1]:
            writes.insert(0, (earlier[0], earlier[1]))
    try:
        with runtime.db.session() as session:
            for at, count in writes:
                note_refusal(
                    session,
                    actor=principal.id,
                    signed_in=principal.is_authenticated,
                    permission=permission,
                    route=route,
                    explanation=why,
                    now=at,
                    count=count,
                )
    except Exception:
        log.warning("could not record a refusal of %s on %s", principal.id, route, exc_info=True)

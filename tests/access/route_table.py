"""The app's route table as (METHOD, PATH, PERMISSION | public) rows, read from each
route's dependency tree: a route declares its permission with ``guard.require(P)`` or a
resource loader (``recording_for(P)``, ``incident_for(P)``), or says ``guard.public()``."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

#: Routes that cannot carry a dependency: static files and the OpenAPI document, public.
UNDECLARED_PUBLIC = {"/static", "/api/docs/assets", "/api/openapi.json"}
PUBLIC = "public"


def route_list(app: FastAPI) -> list[Any]:
    """Routes in the order the app tries them (FastAPI >= 0.165 nests included routers)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: a flat list
        return list(app.router.routes)
    return [context.route for context in iter_route_contexts(app.router.routes)]


def declared(dependant: Dependant) -> set[str]:
    """Every permission (or ``public``) declared anywhere in a route's dependency tree."""
    found: set[str] = set()
    call = dependant.call
    permission = getattr(call, "permission", None)
    if permission is not None:
        found.add(str(permission))
    if getattr(call, "public", False):
        found.add(PUBLIC)
    for sub in dependant.dependencies:
        found |= declared(sub)
    return found


def rows(app: FastAPI) -> tuple[list[str], list[str]]:
    """The table's rows, and the problems (routes with none or several declarations)."""
    table: set[str] = set()
    problems: list[str] = []
    for route in route_list(app):
        if isinstance(route, Mount) or (
            isinstance(route, Route) and not isinstance(route, APIRoute)
        ):
            if route.path in UNDECLARED_PUBLIC:
                table.add(f"GET {route.path} {PUBLIC}")
            else:
                problems.append(f"{route.path}: a mount or plain route that declares nothing")
            continue
        assert isinstance(route, APIRoute), route
        perms = declared(route.dependant)
        for method in sorted(route.methods or ()):
            if len(perms) != 1:
                what = ", ".join(sorted(perms)) or "nothing"
                problems.append(f"{method} {route.path}: declares {what} (exactly one needed)")
                continue
            table.add(f"{method} {route.path} {next(iter(perms))}")
    return sorted(table), problems

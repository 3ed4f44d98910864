"""Every state-changing route refuses an anonymous caller (on main before access control,
every one of them acted as the local administrator). Prints the list, with the status each
now answers, for the issue's closing note."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sunlight.runtime import Runtime
from sunlight.web.app import create_app

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
#: How one becomes (or stops being) a principal: public by design, and they change nothing
#: without a session of their own (a redirect to sign in, or a form error).
SIGN_IN_ROUTES = re.compile(r"^/(sign-in|sign-out|reauth|account)(/|$)")
#: Public writes authenticated otherwise: a witness's cosignature is checked against the
#: witness's key before it is stored.
SIGNED_WRITES = {("POST", "/log/cosignatures")}
#: Records requests are filed without an account, and a requester's private link is its own
#: credential: an empty body is refused as input (422), a wrong link as missing (404). So
#: are public comments on a proposed policy version.
PUBLIC_REQUESTS = re.compile(
    r"^(/api)?/public/requests(/|$)|^(/api)?/public/policies/[^/]+/versions/[^/]+/comments$"
)


def test_no_anonymous_write_succeeds(embedded_runtime: Runtime) -> None:
    app = create_app(embedded_runtime, start_worker=False)
    answers: list[tuple[str, str, int]] = []
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        for route in all_routes(app):
            methods = getattr(route, "methods", None) or set()
            path = getattr(route, "path", "")
            for method in sorted(set(methods) & set(UNSAFE)):
                url = re.sub(r"\{[^}]+\}", "1", path)
                response = client.request(method, url, json={})
                answers.append((method, path, response.status_code))
    assert len(answers) > 30
    for method, path, status in answers:
        if (method, path) in SIGNED_WRITES:
            assert status in (403, 422), (method, path, status)
        elif PUBLIC_REQUESTS.match(path):
            assert status in (404, 422), (method, path, status)
        elif SIGN_IN_ROUTES.match(path):
            assert status in (303, 401, 422), (method, path, status)
        else:
            assert status == 401, (method, path, status)
    print("\n".join(f"{m} {p} -> {s}" for m, p, s in answers))
    assert any(isinstance(r, APIRoute) for r in all_routes(app))


def all_routes(app: FastAPI) -> list[Any]:
    try:  # FastAPI >= 0.165 nests included routers
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover
        return list(app.router.routes)
    return [context.route for context in iter_route_contexts(app.router.routes)]

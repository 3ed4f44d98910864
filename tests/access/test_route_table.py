"""Every route declares exactly one permission or is explicitly public, and the table of
(method, path, permission) is checked in (tests/access/routes.txt): a new route cannot
slip in unguarded, and a changed permission shows up in review.

Regenerate after a deliberate change:
``uv run python -m tests.access.test_route_table > tests/access/routes.txt``
"""

from __future__ import annotations

import difflib
import re
import sys
import tempfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from sunlight.access import Permission
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.access.route_table import PUBLIC, route_list, rows

TABLE = Path(__file__).with_name("routes.txt")
#: Only these are open to anyone. The sign-in, re-authentication, sign-out and account
#: pages are how one becomes a principal: each checks the session it acts on itself.
PUBLIC_PREFIXES = (
    "/log",
    "/healthz",
    "/static",
    "/api/docs",
    "/api/openapi.json",
    "/sign-in",
    "/sign-out",
    "/reauth",
    "/account",
    "/s/",  # share links: the link itself is the credential (checked by the route)
    "/api/public/",  # the public portal's data (released footage, proofs): public fields only
    "/public/requests",  # records requests: intake, and the private page (its token)
    "/api/public/requests",
    "/public/releases",  # the public portal: released footage, its player and proofs
    "/public/stats",  # the public statistics (small numbers suppressed)
    "/public/policies",  # published policies, their versions, proposals and comments
)
#: The public portal's home page (an exact path: a prefix would open /publicity too).
PUBLIC_EXACT = ("/", "/public", "/public/data")
#: Public writes: witness cosignatures (signature-checked) and the sign-in pages' forms.
PUBLIC_WRITES = (
    "/log/cosignatures",
    "/sign-in",
    "/sign-out",
    "/reauth",
    "/account",
    "/public/requests",  # filing a records request; the requester's own private page
    "/api/public/requests",
    "/public/policies",  # a public comment on a proposed policy version (moderated)
    "/api/public/policies",
)


@pytest.fixture
def app(embedded_runtime: Runtime) -> FastAPI:
    return create_app(embedded_runtime, start_worker=False)


def _checked_in() -> list[str]:
    return [
        line.strip()
        for line in TABLE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def test_every_route_declares_exactly_one_permission_or_public(app: FastAPI) -> None:
    _, problems = rows(app)
    assert not problems, "routes without exactly one declaration:\n" + "\n".join(problems)


def test_route_table_matches_the_checked_in_list(app: FastAPI) -> None:
    table, _ = rows(app)
    expected = _checked_in()
    if table != expected:
        diff = "\n".join(
            difflib.unified_diff(expected, table, "routes.txt (checked in)", "the app", lineterm="")
        )
        pytest.fail(
            "The route table changed. If deliberate, regenerate tests/access/routes.txt with\n"
            "  uv run python -m tests.access.test_route_table > tests/access/routes.txt\n"
            "and have the change reviewed.\n" + diff
        )


def test_the_table_names_only_known_permissions(app: FastAPI) -> None:
    known = {str(p) for p in Permission} | {PUBLIC}
    for row in _checked_in():
        assert row.split()[-1] in known, row


def test_public_routes_are_only_the_transparency_log_and_plumbing(app: FastAPI) -> None:
    for row in _checked_in():
        method, path, permission = row.split()
        if permission == PUBLIC:
            assert path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES), row
            if method not in ("GET", "HEAD"):
                assert path.startswith(PUBLIC_WRITES), row


def test_no_route_offers_search_by_face_or_identity(app: FastAPI) -> None:
    """First Amendment assemblies: no search by face or identity exists anywhere, and no
    route exports footage in bulk."""
    biometric = re.compile(r"face|biometric|identity|identify|person|recogni", re.IGNORECASE)
    bulk = re.compile(r"bulk|export|zip|archive", re.IGNORECASE)
    for route in route_list(app):
        if not isinstance(route, APIRoute):
            continue
        # face *detection* for redaction (blurring) is not search: it names no one
        searchable = [p.name for p in route.dependant.query_params] + [route.path]
        for name in searchable:
            assert not biometric.search(name), f"{route.path}: {name}"
        if "recording" in route.path:
            assert not bulk.search(route.path), route.path


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        from tests.conftest import embedded_settings

        runtime = start(embedded_settings(Path(home) / "home"))
        try:
            table, problems = rows(create_app(runtime, start_worker=False))
        finally:
            runtime.close()
    print("# METHOD PATH PERMISSION|public, one route a line, sorted (test_route_table.py)")
    print("\n".join(table))
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)


if __name__ == "__main__":
    main()

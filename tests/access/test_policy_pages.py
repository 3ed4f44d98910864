"""The access policy is shown to staff as written, and explains any decision."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sunlight.access import Principal, load_access_policy
from sunlight.access.policy import PACKAGED
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from sunlight.web.deps import current_principal

CUSTODIAN = Principal(
    id="user:90",
    display_name="Custodian",
    kind="user",
    roles=frozenset({"records-custodian"}),
    agency_id=2,
    agency_kind="department",
    auth="session",
)


@pytest.fixture
def client(embedded_runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(embedded_runtime, start_worker=False)
    app.dependency_overrides[current_principal] = lambda: CUSTODIAN
    with TestClient(app) as test_client:
        yield test_client


def test_policy_json_matches_the_packaged_file(client: TestClient) -> None:
    body = client.get("/api/policies/access").json()
    assert body["sha256"] == hashlib.sha256(PACKAGED.read_bytes()).hexdigest()
    assert body["default"] == "deny"
    ids = [rule["id"] for rule in body["rules"]]
    assert ids == [rule.id for rule in load_access_policy().policy.rules]
    raw = client.get("/api/policies/access.yaml")
    assert raw.content == PACKAGED.read_bytes()
    assert raw.headers["x-policy-sha256"] == body["sha256"]


def test_policy_page_lists_every_rule(client: TestClient) -> None:
    page = client.get("/policies/access")
    assert page.status_code == 200
    for rule in load_access_policy().policy.rules:
        assert f'id="rule-{rule.id}"' in page.text


def test_explain_names_the_rule_and_the_obligation(client: TestClient) -> None:
    allowed = client.get("/api/access/explain", params={"permission": "retention:run"}).json()
    assert allowed["allowed"] is True
    assert allowed["rule"] == "custodians-records"
    refused = client.get("/api/access/explain", params={"permission": "user:manage"}).json()
    assert (refused["allowed"], refused["rule"]) == (False, "default-deny")
    missing = client.get("/api/access/explain", params={"permission": "recording:stream"})
    assert missing.status_code == 422
    hidden = client.get(
        "/api/access/explain", params={"permission": "recording:stream", "resource_id": 4242}
    ).json()
    assert (hidden["allowed"], hidden["in_scope"], hidden["rule"]) == (False, False, "not-found")


def test_a_principal_without_the_permission_is_refused(embedded_runtime: Runtime) -> None:
    app = create_app(embedded_runtime, start_worker=False)
    token = Principal(
        id="token:1",
        display_name="dock",
        kind="token",
        roles=frozenset({"integration"}),
        granted=frozenset(),
        auth="token",
    )
    app.dependency_overrides[current_principal] = lambda: token
    with TestClient(app) as client:
        assert client.get("/api/policies/access").status_code == 403


def test_the_menu_shows_what_the_principal_can_use(embedded_runtime: Runtime) -> None:
    from tests.support.auth import sign_in

    app = create_app(embedded_runtime, start_worker=False)
    with TestClient(app) as officer_client:
        sign_in(officer_client, embedded_runtime, roles=("officer",))
        nav = officer_client.get("/recordings").text.split("<nav")[1].split("</nav>")[0]
        assert 'href="/recordings"' in nav and 'href="/upload"' in nav
        for hidden in ("/retention", "/audit", "/admin/users", "/compliance"):
            assert f'href="{hidden}"' not in nav
    with TestClient(app) as admin_client:
        sign_in(admin_client, embedded_runtime, roles=("administrator",))
        nav = admin_client.get("/admin/users").text.split("<nav")[1].split("</nav>")[0]
        assert 'href="/admin/users"' in nav and 'href="/audit"' in nav
        assert 'href="/recordings"' not in nav  # administrators do not see footage
        home = admin_client.get("/", follow_redirects=False)
        assert home.headers["location"] == "/admin/users"
    with TestClient(app) as anonymous:
        assert anonymous.get("/", follow_redirects=False).headers["location"] == "/public"

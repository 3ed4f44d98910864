"""Every role × every route that acts on one recording or incident × each kind of resource
(own, another officer's, the unit's, assigned to the Highway Patrol, unassigned, a protest,
a critical incident, vulnerable people, shared, under a complaint), through the real app.

The expectation is the policy's single check (``decide``) for the route's declared
permission, computed from the database at the moment of the request: a refused request
must answer 401/403/404 (403 for anyone no rule ever grants the permission, whatever the id;
otherwise 404 exactly when the resource is out of scope), and an allowed one must get past
the guard. So the web layer can't be looser than the policy: 0 unauthorized
2xx, counted and printed.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sunlight.access.decide import decide, may_ever
from sunlight.access.permissions import INFO, Permission
from sunlight.access.principal import Principal
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from sunlight.web.deps import current_principal
from tests.access.route_table import route_list
from tests.access.test_decide_matrix import NOW, PURPOSE, World, build_world

PARAM = re.compile(r"{([a-z_]+)}")
#: Sample values for path parameters other than the resource's own id.
SAMPLES = {"kind": "proxy", "officer_id": "1", "flag_id": "1", "share_id": "1", "plan_id": "1"}


@dataclasses.dataclass(frozen=True)
class ResourceRoute:
    method: str
    path: str
    permission: Permission
    param: str  # recording_id | incident_id


def _loader(dependant: Dependant) -> Permission | None:
    name = getattr(dependant.call, "__name__", "")
    if name.startswith(("recording_for_", "incident_for_")):
        return getattr(dependant.call, "permission", None)
    for sub in dependant.dependencies:
        found = _loader(sub)
        if found is not None:
            return found
    return None


def resource_routes(app: FastAPI) -> list[ResourceRoute]:
    found = []
    for route in route_list(app):
        if not isinstance(route, APIRoute):
            continue
        permission = _loader(route.dependant)
        if permission is None:
            continue
        kind = INFO[permission].resource
        param = f"{kind}_id"
        params = PARAM.findall(route.path)
        if param not in params or any(p != param and p not in SAMPLES for p in params):
            continue
        for method in sorted(route.methods or ()):
            found.append(ResourceRoute(method, route.path, permission, param))
    return found


@pytest.fixture
def world_app(embedded_runtime: Runtime) -> tuple[Runtime, World, FastAPI]:
    with embedded_runtime.db.session() as session:
        world = build_world(session)
    app = create_app(embedded_runtime, start_worker=False)
    return embedded_runtime, world, app


@pytest.mark.slow
def test_no_route_is_looser_than_the_policy(world_app: tuple[Runtime, World, FastAPI]) -> None:
    runtime, world, app = world_app
    routes = resource_routes(app)
    assert len(routes) >= 30, [f"{r.method} {r.path}" for r in routes]
    outcomes: Counter[str] = Counter()
    problems: list[str] = []
    holder: dict[str, Principal] = {}
    app.dependency_overrides[current_principal] = lambda: holder["principal"]
    app.state.clock = lambda: NOW  # the routes decide at the moment the matrix does
    with TestClient(app, raise_server_exceptions=False) as client:
        for who, principal in world.principals.items():
            # freshly re-authenticated, so step-up permissions are decided by the policy alone
            holder["principal"] = dataclasses.replace(principal, reauth_at=NOW)
            for route in routes:
                for what, resource in world.resources.items():
                    resource_id = resource.id_for(route.permission)
                    if resource_id is None:
                        continue
                    url = route.path.replace("{" + route.param + "}", str(resource_id))
                    for name, sample in SAMPLES.items():
                        url = url.replace("{" + name + "}", sample)
                    with runtime.db.session(read_only=True) as session:
                        decision = decide(
                            session,
                            principal,
                            route.permission,
                            resource_id,
                            now=NOW,
                            reason=PURPOSE,
                        )
                    kwargs: dict[str, object] = {"headers": {"Sunlight-Reason": PURPOSE}}
                    if route.method in ("POST", "PATCH", "PUT"):
                        kwargs["json"] = {}
                    answer = client.request(route.method, url, **kwargs)  # type: ignore[arg-type]
                    status = answer.status_code
                    label = f"{who} {route.method} {route.path} on {what}: {status}"
                    if not principal.is_authenticated:
                        ok = status == 401
                    elif not may_ever(principal, route.permission):
                        ok = status == 403  # the coarse gate: the same answer for any id
                    elif not decision.in_scope:
                        ok = status == 404
                    elif not decision.allowed:
                        ok = status == 403
                    else:
                        scope_404 = (
                            status == 404
                            and route.method != "HEAD"
                            and answer.headers.get("content-type", "").startswith(
                                "application/json"
                            )
                            and answer.json().get("detail")
                            == f"no {INFO[route.permission].resource} {resource_id}"
                        )
                        ok = status not in (401, 403) and not scope_404
                    refused = not (decision.allowed and principal.is_authenticated)
                    outcomes["unauthorized 2xx" if refused and status < 300 else "checked"] += 1
                    if not ok:
                        expected = (
                            "allow" if decision.allowed else f"{decision.in_scope}:{decision.rule}"
                        )
                        problems.append(f"{label} (policy: {expected})")
    print(f"\n{sum(outcomes.values())} requests over {len(routes)} routes: {dict(outcomes)}")
    assert outcomes["unauthorized 2xx"] == 0
    assert not problems, "\n".join(problems[:60]) + f"\n... {len(problems)} in all"

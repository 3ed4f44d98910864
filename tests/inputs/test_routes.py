"""Working, bounded edges: no route shadows another, the custody endpoint answers, the API
docs load from packaged assets, and the API schema bounds every id and boolean."""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.routing import Match, Mount, Route

from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID, MAX_SMALL_ID
from sunlight.web.app import create_app
from tests.support.auth import sign_in
from tests.support.evidence_data import add_recording

T0 = datetime(2026, 5, 8, 14, 0, tzinfo=UTC)


@pytest.fixture
def app(embedded_runtime: Runtime) -> FastAPI:
    return create_app(embedded_runtime, start_worker=False)


def _sample(annotation: Any, name: str) -> str:
    """A concrete path segment that the route itself would accept for this parameter."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Literal:
        return str(typing.get_args(annotation)[0])
    if annotation is int:
        return "7"
    return f"sample-{name.replace('_', '-')}"


def _route_table(app: FastAPI) -> list[Any]:
    """Routes in the order the app tries them (FastAPI >= 0.165 nests included routers)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI: a flat list
        return list(app.router.routes)
    return [context.route for context in iter_route_contexts(app.router.routes)]


def _samples(app: FastAPI) -> Iterator[tuple[Any, str, str]]:
    for route in _route_table(app):
        if isinstance(route, Mount):
            yield route, "GET", f"{route.path}/sample.css"
            continue
        assert isinstance(route, Route | APIRoute), route
        types_by_name: dict[str, Any] = {}
        if isinstance(route, APIRoute):
            for param in route.dependant.path_params:
                types_by_name[param.name] = param.field_info.annotation
        path = re.sub(
            r"{(\w+)(?::\w+)?}",
            lambda m, known=types_by_name: _sample(known.get(m.group(1), str), m.group(1)),
            route.path,
        )
        for method in sorted(route.methods or {"GET"}):
            yield route, method, path


def test_no_route_shadows_another(app: FastAPI) -> None:
    checked = 0
    for route, method, path in _samples(app):
        scope = {"type": "http", "path": path, "method": method, "root_path": ""}
        first = next(r for r in _route_table(app) if r.matches(scope)[0] == Match.FULL)
        assert first is route, (
            f"{method} {path} (for {route.path}) is taken by {getattr(first, 'path', first)}"
        )
        checked += 1
    assert checked > 60


def test_custody_endpoint_answers(runtime: Runtime) -> None:
    rec = add_recording(runtime, recorded_at=T0)
    with TestClient(create_app(runtime, start_worker=False)) as client:
        sign_in(client, runtime)
        detail = client.get(f"/api/recordings/{rec}").json()
        response = client.get(detail["links"]["custody"])
        assert response.status_code == 200, response.text
        events = response.json()
        assert events and {e["object_id"] for e in events} == {str(rec)}
        assert client.get("/api/recordings/999999/custody").status_code == 404
        for link in detail["links"].values():
            assert client.head(link).status_code != 422 if link.endswith("original") else True
            assert client.get(link).status_code == 200, link


def test_api_docs_are_served_from_packaged_assets(app: FastAPI) -> None:
    with TestClient(app) as client:
        sign_in(client, app.state.runtime)
        page = client.get("/api/docs")
        assert page.status_code == 200
        assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
        scripts = [a for a in assets if a.endswith(".js")]
        styles = [a for a in assets if a.endswith(".css")]
        assert scripts and styles
        for url in assets:
            assert url.startswith("/"), f"{url} is not served by Sunlight"
            response = client.get(url)
            assert response.status_code == 200, url
            if url.startswith("/api/docs/assets/"):
                assert len(response.content) > 500, url
        assert client.get("/api/openapi.json").status_code == 200
        assert "openapi.json" in page.text


def _integers(schema: Any, where: str, defs: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    if isinstance(schema, dict):
        if "$ref" in schema:
            return
        if schema.get("type") == "integer":
            yield where, schema
        for key, value in schema.items():
            yield from _integers(value, f"{where}.{key}", defs)
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _integers(value, f"{where}[{i}]", defs)


# Ids of tables keyed by PostgreSQL's 32-bit INTEGER (see sunlight.validation.SmallId).
SMALL_IDS = {
    "officer_id",
    "device_id",
    "flag_id",
    "incident_id",
    "agency_id",
    "item_id",
    "dock_id",
    "hold_id",
    "deletion_id",
}


def _limit(where: str) -> int:
    name = re.split(r"[ .]", where)[-1]
    return MAX_SMALL_ID if name in SMALL_IDS else MAX_ID


def test_every_integer_input_is_bounded(app: FastAPI) -> None:
    doc = app.openapi()
    defs = doc.get("components", {}).get("schemas", {})
    request_models: set[str] = set()
    found = 0
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for param in operation.get("parameters", []):
                name = f"{method} {path} {param['name']}"
                for where, schema in _integers(param["schema"], name, defs):
                    found += 1
                    assert schema.get("maximum", MAX_ID + 1) <= _limit(name), where
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                ref = media.get("schema", {}).get("$ref", "")
                if ref:
                    request_models.add(ref.rsplit("/", 1)[-1])
    for name in request_models:
        for prop, schema in defs[name].get("properties", {}).items():
            for where, integer in _integers(schema, f"{name}.{prop}", defs):
                found += 1
                assert integer.get("maximum", MAX_ID + 1) <= _limit(f"{name}.{prop}"), where
                assert isinstance(integer["maximum"], int), where
    assert found > 30


def test_every_request_boolean_is_strict(app: FastAPI) -> None:
    models: set[type[BaseModel]] = set()
    for route in _route_table(app):
        if isinstance(route, APIRoute) and route.body_field is not None:
            annotation = route.body_field.field_info.annotation
            while typing.get_origin(annotation) is typing.Annotated:
                annotation = typing.get_args(annotation)[0]
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                models.add(annotation)
    assert len(models) > 10
    booleans = 0
    for model in models:
        for name, field in model.model_fields.items():
            if field.annotation is bool:
                booleans += 1
                strict = any(getattr(m, "strict", False) for m in field.metadata)
                assert strict or model.model_config.get("strict"), f"{model.__name__}.{name}"
    assert booleans >= 1


def test_method_not_allowed_names_every_method_of_the_path(app: FastAPI) -> None:
    with TestClient(app) as client:
        sign_in(client, app.state.runtime)
        response = client.request("OPTIONS", "/api/agencies")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        response = client.delete("/api/recordings/7")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, PATCH"

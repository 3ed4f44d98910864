"""One error base, its families, and one mapping to HTTP (web/app.py)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sunlight import errors
from sunlight.evidence import service as evidence
from sunlight.evidence.ingest import IngestError
from sunlight.ledger import errors as ledger_errors
from sunlight.redaction import service as redaction
from sunlight.redaction.plan import PlanError
from sunlight.runtime import Runtime
from sunlight.storage import ObjectNotFound
from sunlight.web.app import create_app


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (evidence.NotFound("no recording 7"), 404),
        (evidence.InvalidChange("bad"), 422),
        (evidence.Conflict("taken"), 409),
        (evidence.ChangeRefused("held by an agency"), 409),
        (IngestError("bad sidecar"), 422),
        (ObjectNotFound("abc"), 404),
        (ledger_errors.NotFound("no leaf"), 404),
        (ledger_errors.Rejected("sizes"), 422),
        (redaction.NotFound("no plan"), 404),
        (redaction.RedactionError("cannot"), 422),
        (PlanError("box"), 422),
        (errors.Forbidden("no"), 403),
        (errors.TooLarge("big"), 413),
        (errors.Busy("locked"), 503),
        (errors.InsufficientStorage("full"), 507),
        (errors.SunlightError("a bug"), 500),
    ],
)
def test_every_domain_error_belongs_to_a_family(error: errors.SunlightError, status: int) -> None:
    assert isinstance(error, errors.SunlightError)
    assert errors.http_status(error) == status
    assert error.message == str(error) and error.message


def test_the_app_maps_families_once(embedded_runtime: Runtime) -> None:
    app = create_app(embedded_runtime, start_worker=False)
    raised: dict[str, errors.SunlightError] = {
        "busy": errors.Busy("the database is busy; retry"),
        "missing": ObjectNotFound("gone"),
        "field": errors.InvalidInput("title is too long", diagnostics={"max_length": 255}),
        "bug": errors.SunlightError("unclassified"),
    }

    @app.get("/test-error/{name}")
    def fail(name: str) -> None:
        raise raised[name]

    with TestClient(app, raise_server_exceptions=False) as client:
        busy = client.get("/test-error/busy")
        assert (busy.status_code, busy.headers["retry-after"]) == (503, "1")
        assert busy.json() == {"detail": "the database is busy; retry"}
        assert client.get("/test-error/missing").status_code == 404
        field = client.get("/test-error/field")
        assert field.status_code == 422
        assert field.json()["diagnostics"] == {"max_length": 255}
        assert client.get("/test-error/bug").status_code == 500

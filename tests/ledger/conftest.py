"""Shared helpers for the ledger tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the CI environment variable says so (GitHub and most CIs set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _unavailable(reason: str) -> NoReturn:
    # Locally a missing optional dependency only skips the test; in CI it must not
    # silently pass, so it fails there.
    if in_ci():
        pytest.fail(f"{reason} (required because CI=true)")
    pytest.skip(reason)


@pytest.fixture
def unavailable() -> Callable[[str], NoReturn]:
    """Skip the test with ``reason`` locally, or fail it when CI=true."""
    return _unavailable


# --- Ledger service fixtures (custody events, a PostgreSQL runtime) ----------------------

import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.conftest import embedded_settings  # noqa: E402
from tests.support.services import PostgresTemplate  # noqa: E402

from sunlight.evidence.custody import Action, record  # noqa: E402
from sunlight.runtime import Runtime, start  # noqa: E402


def add_events(runtime: Runtime, count: int, *, start_at: int = 0) -> list[int]:
    """Record ``count`` custody events in one transaction; return their ids."""
    ids = []
    with runtime.db.session() as session:
        for i in range(start_at, start_at + count):
            event = record(
                session,
                actor=f"user:{i % 7}",
                action=Action.VIEW,
                object_type="recording",
                object_id=i % 13,
                reason=f"review {i}" if i % 3 == 0 else None,
                details={"sha256": f"{i:064x}", "filename": f"clip-{i}.mp4", "n": i},
            )
            ids.append(event.id)
    return ids


def ledger_overrides(**values: object) -> dict[str, object]:
    return {"extra": {"ledger": {"witness_quorum": 1, **values}}}


@pytest.fixture
def pg_runtime(tmp_path: Path, postgres_template: PostgresTemplate | None) -> Iterator[Runtime]:
    """PostgreSQL for the database, local files for objects (no S3 needed)."""
    if postgres_template is None:
        _unavailable("PostgreSQL is not reachable")
    assert postgres_template is not None
    name = postgres_template.new_database()
    settings = embedded_settings(
        tmp_path / f"home-{uuid.uuid4().hex[:6]}",
        database_url=postgres_template.url_for(name),
    )
    rt = start(settings, migrate=False)
    yield rt
    rt.close()
    postgres_template.drop(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_runtime(request: pytest.FixtureRequest) -> Runtime:
    """The ledger on SQLite and on PostgreSQL (local object store on both)."""
    name = "embedded_runtime" if request.param == "sqlite" else "pg_runtime"
    runtime: Runtime = request.getfixturevalue(name)
    return runtime

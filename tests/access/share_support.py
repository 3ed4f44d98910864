"""Support for the sharing and audit tests: a client whose principal a test chooses.

Until sign-in lands (tests/support/auth.py), a test acts as a principal it builds, through
``as_principal``: it replaces ``web.deps.current_principal`` (which ``require`` calls) and
overrides the dependency of that name too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Principal
from sunlight.access.models import Agency
from sunlight.runtime import Runtime
from sunlight.web import deps
from sunlight.web.app import create_app
from tests.support.evidence_data import add_recording

AsPrincipal = Callable[[Principal], Principal]
#: the dependency the routes name (the module attribute is replaced during a test)
_CURRENT_PRINCIPAL = deps.current_principal


@contextmanager
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def acting(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> AsPrincipal:
    """Returns ``act(principal)``: from then on, ``client``'s requests act as ``principal``."""

    def act(principal: Principal) -> Principal:
        overrides = client.app.dependency_overrides  # type: ignore[attr-defined]

        def current(request: Request) -> Principal:
            return principal

        overrides[_CURRENT_PRINCIPAL] = current
        monkeypatch.setattr(deps, "current_principal", current)
        return principal

    return act


def agency_id(runtime: Runtime, short_name: str) -> int:
    with runtime.db.session(read_only=True) as session:
        found = session.scalar(select(Agency.id).where(Agency.short_name == short_name))
    assert found is not None, short_name
    return int(found)


def user(
    runtime: Runtime,
    n: int,
    *roles: str,
    agency: str = "KCPD",
    kind: str = "department",
    officer_id: int | None = None,
    unit: str | None = None,
) -> Principal:
    return Principal(
        id=f"user:{n}",
        display_name=f"Test user {n}",
        kind="user",
        roles=frozenset(roles),
        agency_id=agency_id(runtime, agency),
        agency_kind=kind,
        user_id=n,
        officer_id=officer_id,
        unit=unit,
        auth="session",
    )


def custodian(runtime: Runtime) -> Principal:
    return user(runtime, 1, "records-custodian")


def prosecutor(runtime: Runtime, n: int = 2, agency: str = "JCPO") -> Principal:
    return user(runtime, n, "prosecutor", agency=agency, kind="prosecutor")


def new_recording(runtime: Runtime, title: str = "Traffic stop") -> int:
    return add_recording(runtime, recorded_at=datetime(2026, 11, 2, 15, 0, tzinfo=UTC), title=title)

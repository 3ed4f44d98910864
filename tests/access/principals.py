"""Principals per role, and acting as one through the app's ``current_principal``
dependency (until the auth helper's ``tests/support/auth.sign_in`` is on every branch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.access import Principal
from sunlight.access.models import Agency
from sunlight.runtime import Runtime
from sunlight.web.guard import current_principal

_ids = count(100)


def agency_id(runtime: Runtime, kind: str) -> int:
    """The seeded agency of ``kind``: department, investigator, prosecutor, oversight."""
    with runtime.db.session(read_only=True) as session:
        found = session.scalars(
            select(Agency.id).where(Agency.kind == kind).order_by(Agency.id)
        ).first()
    assert found is not None, f"no seeded {kind} agency"
    return found


def principal(
    runtime: Runtime,
    *roles: str,
    agency_kind: str = "department",
    officer_id: int | None = None,
    unit: str | None = None,
    user_id: int | None = None,
) -> Principal:
    uid = user_id if user_id is not None else next(_ids)
    return Principal(
        id=f"user:{uid}",
        display_name=f"{'/'.join(roles)} {uid}",
        kind="user",
        roles=frozenset(roles),
        agency_id=agency_id(runtime, agency_kind),
        agency_kind=agency_kind,
        unit=unit,
        officer_id=officer_id,
        user_id=uid,
        auth="session",
    )


@contextmanager
def acting_as(client: TestClient, who: Principal) -> Iterator[Principal]:
    """Requests through ``client`` act as ``who`` until the block ends."""
    app = client.app
    assert isinstance(app, FastAPI)
    before = app.dependency_overrides.get(current_principal)
    app.dependency_overrides[current_principal] = lambda: who
    try:
        yield who
    finally:
        if before is None:
            app.dependency_overrides.pop(current_principal, None)
        else:
            app.dependency_overrides[current_principal] = before

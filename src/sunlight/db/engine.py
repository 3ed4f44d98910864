"""Engines and sessions for SQLite (embedded default) and PostgreSQL.

The concurrency model (docs/developers.md, "Concurrency model") lives here, in one place:

* A write session (``Database.session()``, the default) takes the database's single
  writer lock when its transaction begins, before its first read: ``BEGIN IMMEDIATE`` on
  SQLite, a transaction-scoped advisory lock on PostgreSQL. Writers therefore queue on
  the lock instead of failing on a stale snapshot, and what a writer read stays true until
  it commits. Waiting is bounded by ``busy_timeout_s``; past it, ``DatabaseBusy``.
* A read session (``Database.session(read_only=True)``) takes no lock and sees one
  snapshot (SQLite WAL, PostgreSQL ``READ ONLY``); any write in it fails at once.
* Lock waits that run out, PostgreSQL serialization failures and deadlocks, and a
  connection pool that stays exhausted all surface as ``DatabaseBusy``: nothing was
  changed (the transaction rolled back) and the caller may retry the whole unit of work.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from sunlight.errors import Busy

# How long a writer waits for the lock (and a request for a pooled connection) by default.
DEFAULT_BUSY_TIMEOUT_S = 30.0
# What a client is told to wait before retrying after DatabaseBusy.
RETRY_AFTER_S = 2
# pg_advisory_xact_lock key of the database-wide writer lock ("sunlight" in ASCII, 64 bits).
WRITER_LOCK_KEY = 0x73756E6C69676874

_READ_ONLY = "sunlight_read_only"
_NESTED = "sunlight_nested"
# SQLITE_BUSY and SQLITE_LOCKED (primary codes; extended codes carry them in the low byte).
_SQLITE_BUSY_CODES = frozenset({5, 6})
# serialization_failure, deadlock_detected, lock_not_available.
_POSTGRES_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_READONLY = 8
_POSTGRES_READ_ONLY_TRANSACTION = "25006"


class DatabaseBusy(Busy):
    """Other writers held the database past the wait limit. The transaction was rolled
    back, so nothing changed: retry the whole operation a little later."""

    retry_after_s = RETRY_AFTER_S


class NestedWriteSession(RuntimeError):
    """A session opened while this thread already holds a write session on the same
    database tried to write: it would have waited for the outer one's lock forever."""


def is_busy_error(exc: BaseException) -> bool:
    """Whether a DB-API error means "locked by someone else", i.e. worth a retry."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in _SQLITE_BUSY_CODES
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str):
        return state in _POSTGRES_BUSY_STATES
    return "database is locked" in str(exc)


def _is_read_only_violation(exc: BaseException) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF == _SQLITE_READONLY
    return getattr(exc, "sqlstate", None) == _POSTGRES_READ_ONLY_TRANSACTION


def make_engine(url: str, *, busy_timeout_s: float | None = None, **kwargs: Any) -> Engine:
    if busy_timeout_s is None:
        busy_timeout_s = DEFAULT_BUSY_TIMEOUT_S
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_timeout", busy_timeout_s)
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            kwargs.pop("pool_timeout")  # SingletonThreadPool: no checkout wait
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s}, **kwargs)
        event.listen(engine, "connect", partial(_sqlite_pragmas, int(busy_timeout_s * 1000)))
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN ourselves so
        # that writers take the lock up front and SAVEPOINTs behave.
        event.listen(engine, "begin", _sqlite_begin)
        # A read session leaves query_only on its connection: turn it off when the
        # connection goes back to the pool, so nothing else inherits it.
        event.listen(engine, "checkin", _sqlite_writable)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
        event.listen(engine, "begin", partial(_postgres_begin, int(busy_timeout_s * 1000)))
    event.listen(engine, "handle_error", _busy_to_database_busy)
    event.listen(engine, "before_cursor_execute", _note_write)
    event.listen(engine, "commit", _count_commit)
    event.listen(engine, "rollback", _forget_write)
    return engine


# -- committed writes that the public may see, counted per process ----------------------
# Caches of what the public may see (``sunlight.web.public_cache``) keep a result only
# while no write transaction that can change a public answer has committed since it was
# computed in this process. A statement counts as a write unless it starts with one of
# these words (the sessions' own BEGIN / SET / PRAGMA statements and plain reads); a write
# counts for the public unless its table is one of ``QUIET_TABLES`` (anything else, a WITH
# or a table this rule cannot name included, counts). A custody event (a quiet table) of a
# kind the public can see is counted by the one door that writes them
# (``sunlight.evidence.custody.record`` calls ``note_public_write``).
_READ_WORDS = frozenset(
    {"SELECT", "SET", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "SHOW", "EXPLAIN"}
)
#: Tables whose writes alone never change a public answer, and why (the writes the public
#: cache must survive: an access, an upload, a sign-in). A table not named here counts.
QUIET_TABLES: dict[str, str] = {
    "custody_events": "counted by kind at the one door (custody.PORTAL_EFFECT), not by table",
    "auth_sessions": "sign-in, sign-out and a session's last-seen time: no public page reads them",
    "recordings": (
        "an upload and the worker's work on it (probe, posters, proxy): a recording is public "
        "only through a release; a change to a released one that the portal shows is a "
        "custody event of a public kind (metadata.change, flag, retention.tombstone)"
    ),
    "outbox_messages": "mail queued, sent or given up on: never shown to the public",
    "refusal_tallies": "refused accesses: the statistics count them within their own TTL",
    "shares": "private share links and their use: never shown to the public",
}
_TARGET = re.compile(
    r'\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?',
    re.IGNORECASE,
)
_WROTE = "sunlight_wrote"
_commits = itertools.count(1)
_write_generation = 0


def _note_write(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if _WROTE not in conn.info:
        word = statement.lstrip()[:10].split(None, 1)
        if not word or word[0].upper() not in _READ_WORDS:
            target = _TARGET.match(statement)
            if target is None or target.group(1).lower() not in QUIET_TABLES:
                conn.info[_WROTE] = True


def note_public_write(session: Session) -> None:
    """Count the caller's transaction, when it commits, as one that can change a public
    answer (a custody event of a public kind: ``sunlight.evidence.custody``)."""
    session.connection().info[_WROTE] = True


def _count_commit(conn: Connection) -> None:
    global _write_generation
    if conn.info.pop(_WROTE, False):
        _write_generation = next(_commits)


def _forget_write(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def write_generation() -> int:
    """A number that changes whenever a transaction that wrote something the public may see
    (see ``QUIET_TABLES``) commits in this process (on any database this process opened
    with ``make_engine``)."""
    return _write_generation


def _sqlite_pragmas(busy_timeout_ms: int, dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed transaction survives power loss, not just a process crash.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()


def _sqlite_writable(dbapi_conn: Any, _record: Any) -> None:
    if dbapi_conn is not None:
        dbapi_conn.execute("PRAGMA query_only=OFF")


def _read_only(conn: Connection) -> bool:
    return bool(conn.get_execution_options().get(_READ_ONLY, False))


def _sqlite_begin(conn: Connection) -> None:
    if _read_only(conn):
        # A deferred transaction reads one WAL snapshot without blocking anyone;
        # query_only makes any write in it fail at once instead of failing on the lock.
        conn.exec_driver_sql("PRAGMA query_only=ON")
        conn.exec_driver_sql("BEGIN")
    else:
        # Take the write lock before the first read: a deferred transaction that reads
        # and then writes gets SQLITE_BUSY at once when another writer got in between
        # (busy_timeout cannot help it); BEGIN IMMEDIATE waits for the lock instead.
        conn.exec_driver_sql("PRAGMA query_only=OFF")
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _postgres_begin(lock_timeout_ms: int, conn: Connection) -> None:
    if _read_only(conn):
        # the driver began it as BEGIN READ ONLY (``postgresql_readonly`` on the read engines)
        return
    # One writer at a time, like SQLite: READ COMMITTED statements after this lock see
    # every earlier writer's commit, so read-then-write is safe and writers never
    # deadlock one another or collide on a unique key they both checked.
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = {lock_timeout_ms}")
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def _busy_to_database_busy(context: ExceptionContext) -> None:
    if context.is_disconnect:
        return
    original = context.original_exception
    nested = context.connection is not None and bool(
        context.connection.get_execution_options().get(_NESTED, False)
    )
    if nested and _is_read_only_violation(original):
        raise NestedWriteSession(
            "this thread already holds a write session on this database, so a session "
            "opened inside it may only read; write in the outer session, or after it ends"
        ) from original
    if is_busy_error(original):
        raise DatabaseBusy(f"the database is busy with other writers ({original})") from original


class Database:
    """An engine plus a session factory, created once per process."""

    def __init__(self, url: str, *, busy_timeout_s: float | None = None, **engine_kwargs: Any):
        if busy_timeout_s is None:
            busy_timeout_s = DEFAULT_BUSY_TIMEOUT_S
        self.url = url
        self.busy_timeout_s = busy_timeout_s
        self.engine = make_engine(url, busy_timeout_s=busy_timeout_s, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        # On PostgreSQL a read session's transaction starts as ``BEGIN READ ONLY`` (the
        # driver's read_only flag, reset when the connection goes back to the pool): one
        # round trip instead of ``BEGIN`` and then ``SET TRANSACTION READ ONLY``.
        read: dict[str, Any] = {_READ_ONLY: True}
        if self.engine.dialect.name == "postgresql":
            read["postgresql_readonly"] = True
        self._read_engine = self.engine.execution_options(**read)
        self._nested_engine = self.engine.execution_options(**read, **{_NESTED: True})
        # Threads that hold a write session on this database now. Keyed by the opening
        # thread's id (not a threading.local) so that a session closed from another
        # thread, e.g. by a generator resumed in a thread pool, still clears its mark.
        self._writers: set[int] = set()
        self._writers_lock = threading.Lock()
        # Caches of public results computed from this database (``sunlight.db.cache``),
        # by name: they live and die with it, so two databases never share an entry.
        self.caches: dict[str, Any] = {}

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, read_only: bool = False) -> Iterator[Session]:
        """A unit of work: commits on success, rolls back on any exception.

        A write session (the default) holds the database's writer lock from its first
        statement to its commit, so keep it short: no network calls, hashing or media
        work inside. ``read_only=True`` takes no lock and refuses writes. A session
        opened while this thread already holds a write session on this database is
        read-only too (a second writer would wait for the first forever); a write in
        it raises ``NestedWriteSession``.
        Raises ``DatabaseBusy`` (nothing changed; retry) when the lock or a connection
        could not be had within ``busy_timeout_s``.
        """
        thread = threading.get_ident()
        with self._writers_lock:
            nested = thread in self._writers
            if not (read_only or nested):
                self._writers.add(thread)
        if read_only or nested:
            engine = self._read_engine if read_only else self._nested_engine
            with self._unit_of_work(self.sessionmaker(bind=engine)) as session:
                yield session
            return
        try:
            with self._unit_of_work(self.sessionmaker()) as session:
                yield session
        finally:
            with self._writers_lock:
                self._writers.discard(thread)

    @contextmanager
    def _unit_of_work(self, factory_session: Session) -> Iterator[Session]:
        with factory_session as session:
            try:
                yield session
                session.commit()
            except PoolTimeout as exc:
                session.rollback()
                raise DatabaseBusy(f"no database connection free ({exc})") from exc
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        for cache in self.caches.values():  # a background refresh still reading (db.cache)
            wait = getattr(cache, "wait_for_refreshes", None)
            if wait is not None:
                wait()
        self.engine.dispose()

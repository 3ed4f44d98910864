"""Replay the custody log: rebuild what the evidence tables must hold, then compare.

The custody events are the source of truth. Each domain registers, for the actions it
records, a *projector* that applies one event to the expected state of its tables, and
declares which of its tables (and columns) the replay checks. ``sunlight.models`` imports
every domain's replay module, so the registry is complete whenever the runtime is up; the
ledger's audit calls :func:`replay` and never imports a domain package itself.

Bounded memory: events are read in id order in batches (keyset pagination), the expected
state lives in a scratch SQLite file behind a small write-back cache, and the comparison
walks each table and the expected rows side by side, both ordered by key, in batches.

Expected rows are JSON documents. A field is only compared when some event stated it, so
events written before a field was added to their details are not misread as tampering.
``ANY`` means an event says the field is set without giving its exact value. A document
with ``GONE`` set means an event removed the row.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, select, tuple_
from sqlalchemy.orm import Session

from sunlight.db.base import Base, UTCDateTime
from sunlight.evidence.models import CustodyEvent

Key = tuple[int, int]
Doc = dict[str, Any]

#: Expected: some non-null value (the event predates the exact field in its details).
ANY = "<set>"
#: Marks a document whose row an event removed.
GONE = "_gone"
#: The id of the last event that shaped a document (for the finding's text).
EVENT = "_event"
#: Set on a document an event created (a row only updated by events has no origin).
CREATED = "_created"

EVENT_BATCH = 5000
ROW_BATCH = 5000
CACHE_LIMIT = 20000


@dataclass(frozen=True)
class Event:
    """A custody event as the projectors see it (successful events only)."""

    id: int
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str | None
    details: Mapping[str, Any]

    @property
    def object_key(self) -> int | None:
        try:
            return int(self.object_id)
        except ValueError:
            return None


@dataclass(frozen=True)
class Difference:
    """One way a table differs from what the custody events say it must hold."""

    table: str
    row: str
    field: str | None
    expected: Any
    found: Any
    event_id: int | None
    detail: str


@dataclass(frozen=True)
class Derived:
    """A value the replay compares that is computed from columns rather than stored: for
    columns the custody log must not carry in clear (a commitment to them instead)."""

    name: str
    sources: tuple[str, ...]
    compute: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class TableCheck:
    table: str
    columns: tuple[str, ...]
    key: tuple[str, ...] = ("id",)
    #: Whether a row that no event created is a finding.
    require_event: bool = True
    #: Values computed from the row's columns, compared like columns (by their name).
    derived: tuple[Derived, ...] = ()


@dataclass
class ReplayStats:
    events: int = 0
    rows: int = 0
    tables: int = 0


Projector = Callable[[Event, "State"], None]

_PROJECTORS: dict[str, list[Projector]] = {}
_TABLES: dict[str, TableCheck] = {}


def projects(*actions: str) -> Callable[[Projector], Projector]:
    """Register the decorated function for events with any of ``actions``."""

    def register(fn: Projector) -> Projector:
        for action in actions:
            handlers = _PROJECTORS.setdefault(str(action), [])
            if fn not in handlers:
                handlers.append(fn)
        return fn

    return register


def audited_table(
    table: str,
    columns: tuple[str, ...],
    *,
    key: tuple[str, ...] = ("id",),
    require_event: bool = True,
    derived: tuple[Derived, ...] = (),
) -> None:
    if not 1 <= len(key) <= 2:
        raise ValueError("a replayed table is keyed by one or two integer columns")
    _TABLES[table] = TableCheck(table, columns, key, require_event, derived)


def registered_tables() -> list[TableCheck]:
    return [_TABLES[name] for name in sorted(_TABLES)]


def registered_actions() -> list[str]:
    return sorted(_PROJECTORS)


# -- values ---------------------------------------------------------------------------


def moment(value: Any) -> str | None:
    """A date-time (or its ISO text) as UTC text with microseconds; None stays None."""
    if value is None:
        return None
    when = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        raise TypeError(f"not a date-time: {value!r}")
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="microseconds")


def day(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return date.fromisoformat(str(value)).isoformat()


@cache
def _time_columns(table: str) -> dict[str, str]:
    """The table's date-time and date columns, by name ("moment" or "day")."""
    kinds: dict[str, str] = {}
    for column in Base.metadata.tables[table].columns:
        if isinstance(column.type, (UTCDateTime, DateTime)):
            kinds[column.name] = "moment"
        elif isinstance(column.type, Date):
            kinds[column.name] = "day"
    return kinds


def as_column(table: str, column: str, value: Any) -> Any:
    """A value an event states (ISO text for times and dates) in the form the replay
    compares with ``table.column``."""
    kind = _time_columns(table).get(column)
    if kind == "moment":
        return moment(value)
    if kind == "day":
        return day(value)
    return value


def _column_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _same(expected: Any, found: Any) -> bool:
    if expected == ANY:
        return found is not None
    if isinstance(expected, bool) or isinstance(found, bool):
        return expected is found or (expected == found and type(expected) is type(found))
    return bool(expected == found)


# -- expected state -------------------------------------------------------------------


class State:
    """Expected rows by table and key, in a scratch SQLite file behind a write-back cache."""

    def __init__(self, folder: Path, cache_limit: int = CACHE_LIMIT) -> None:
        self._db = sqlite3.connect(folder / "replay.db", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute(
            "CREATE TABLE rows (tbl TEXT, k1 INTEGER, k2 INTEGER, doc TEXT,"
            " PRIMARY KEY (tbl, k1, k2)) WITHOUT ROWID"
        )
        self._cache: dict[tuple[str, int, int], Doc | None] = {}
        self._dirty: set[tuple[str, int, int]] = set()
        self._limit = cache_limit
        self.current: Event | None = None

    @staticmethod
    def _key(table: str, key: int | Key) -> tuple[str, int, int]:
        if isinstance(key, tuple):
            return (table, key[0], key[1])
        return (table, key, 0)

    def get(self, table: str, key: int | Key) -> Doc | None:
        """The expected row, or None if no event made it (a removed row has ``GONE``)."""
        k = self._key(table, key)
        if k in self._cache:
            return self._cache[k]
        found = self._db.execute(
            "SELECT doc FROM rows WHERE tbl = ? AND k1 = ? AND k2 = ?", k
        ).fetchone()
        doc: Doc | None = json.loads(found[0]) if found else None
        self._remember(k, doc)
        return doc

    def put(self, table: str, key: int | Key, doc: Doc) -> None:
        """Set the expected row (replacing any before it); see also :meth:`create`."""
        k = self._key(table, key)
        if self.current is not None:
            doc[EVENT] = self.current.id
        self._remember(k, doc)
        self._dirty.add(k)

    def create(self, table: str, key: int | Key, doc: Doc) -> None:
        """An event created the row: set its expected fields."""
        doc[CREATED] = True
        self.put(table, key, doc)

    def update(self, table: str, key: int | Key, **fields: Any) -> None:
        """Change fields of an expected row; a row no event created is started here."""
        doc = dict(self.get(table, key) or {})
        doc.update(fields)
        self.put(table, key, doc)

    def remove(self, table: str, key: int | Key) -> None:
        self.put(table, key, {GONE: True})

    def _remember(self, k: tuple[str, int, int], doc: Doc | None) -> None:
        if len(self._cache) >= self._limit and k not in self._cache:
            self.flush()
            self._cache.clear()
        self._cache[k] = doc

    def flush(self) -> None:
        if not self._dirty:
            return
        rows = [(*k, json.dumps(self._cache[k])) for k in self._dirty]
        self._db.execute("BEGIN")
        self._db.executemany("INSERT OR REPLACE INTO rows VALUES (?, ?, ?, ?)", rows)
        self._db.execute("COMMIT")
        self._dirty.clear()

    def items(self, table: str) -> Iterator[tuple[Key, Doc]]:
        self.flush()
        cursor = self._db.execute(
            "SELECT k1, k2, doc FROM rows WHERE tbl = ? ORDER BY k1, k2", (table,)
        )
        for k1, k2, doc in cursor:
            yield (k1, k2), json.loads(doc)

    def close(self) -> None:
        self._db.close()


# -- the replay -----------------------------------------------------------------------


def _events(session: Session, actions: list[str], batch: int) -> Iterator[Event]:
    c = CustodyEvent
    last = -1
    while True:
        rows = session.execute(
            select(
                c.id,
                c.actor,
                c.action,
                c.object_type,
                c.object_id,
                c.reason,
                c.details,
            )
            .where(c.id > last, c.action.in_(actions), c.outcome == "success")
            .order_by(c.id)
            .limit(batch)
        ).all()
        for row in rows:
            yield Event(
                id=row.id,
                actor=row.actor,
                action=row.action,
                object_type=row.object_type,
                object_id=row.object_id,
                reason=row.reason,
                details=row.details if isinstance(row.details, dict) else {},
            )
        if len(rows) < batch:
            return
        last = rows[-1].id


def _table_rows(session: Session, check: TableCheck, batch: int) -> Iterator[tuple[Key, Any]]:
    """The table's rows in key order: (key, row) where ``row[name]`` is a column's value."""
    table: Table = Base.metadata.tables[check.table]
    keys = [table.c[name] for name in check.key]
    names = dict.fromkeys([*check.columns, *(n for d in check.derived for n in d.sources)])
    columns = [table.c[name] for name in names]
    last: tuple[int, ...] | None = None
    while True:
        query = select(*keys, *columns).order_by(*keys).limit(batch)
        if last is not None:
            query = query.where(
                keys[0] > last[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*last)
            )
        rows = session.execute(query).all()
        for row in rows:
            values: Any = row._mapping
            if check.derived:
                values = {**values, **{d.name: d.compute(values) for d in check.derived}}
            yield (int(row[0]), int(row[1]) if len(keys) == 2 else 0), values
        if len(rows) < batch:
            return
        last = tuple(int(v) for v in rows[-1][: len(keys)])


def _values(check: TableCheck, row: Any) -> Doc:
    return {name: _column_value(row[name]) for name in check.columns}


def _label(check: TableCheck, key: Key) -> str:
    return str(key[0]) if len(check.key) == 1 else f"{key[0]}/{key[1]}"


def _compare(
    check: TableCheck,
    expected: Iterator[tuple[Key, Doc]],
    found: Iterator[tuple[Key, Any]],
    sink: Callable[[Difference], None],
    stats: ReplayStats,
) -> None:
    sentinel: tuple[Key, Doc] = ((2**63, 2**63), {})
    exp = next(expected, sentinel)
    row = next(found, sentinel)
    what = check.table
    names = "/".join(check.key)
    columns = {*check.columns, *(d.name for d in check.derived)}
    while exp is not sentinel or row is not sentinel:
        if row is not sentinel and (exp is sentinel or row[0] < exp[0]):
            stats.rows += 1
            if check.require_event:
                label = _label(check, row[0])
                sink(
                    Difference(
                        what,
                        label,
                        None,
                        None,
                        _values(check, row[1]),
                        None,
                        f"{what} row {names}={label} has no custody event behind it",
                    )
                )
            row = next(found, sentinel)
            continue
        key, doc = exp
        label = _label(check, key)
        event_id = doc.get(EVENT)
        if row is sentinel or exp[0] < row[0]:
            if not doc.get(GONE):
                sink(
                    Difference(
                        what,
                        label,
                        None,
                        {k: v for k, v in doc.items() if not k.startswith("_")},
                        None,
                        event_id,
                        f"{what} row {names}={label} is gone; custody event {event_id} "
                        "says it exists",
                    )
                )
            exp = next(expected, sentinel)
            continue
        stats.rows += 1
        values = row[1]
        if doc.get(GONE):
            sink(
                Difference(
                    what,
                    label,
                    None,
                    None,
                    _values(check, values),
                    event_id,
                    f"{what} row {names}={label} exists, but custody event {event_id} removed it",
                )
            )
        else:
            if check.require_event and not doc.get(CREATED):
                sink(
                    Difference(
                        what,
                        label,
                        None,
                        None,
                        _values(check, values),
                        event_id,
                        f"{what} row {names}={label} has no custody event creating it "
                        f"(only later events, the last {event_id})",
                    )
                )
            for name, want in doc.items():
                if name.startswith("_") or name not in columns:
                    continue
                have = _column_value(values[name])
                if (want == have and type(want) is type(have)) or _same(want, have):
                    continue
                sink(
                    Difference(
                        what,
                        label,
                        name,
                        want,
                        have,
                        event_id,
                        f"{what} row {names}={label}: {name} is {have!r}; the custody "
                        f"events give {want!r} (last event {event_id})",
                    )
                )
        exp = next(expected, sentinel)
        row = next(found, sentinel)


def replay(
    session: Session,
    sink: Callable[[Difference], None],
    *,
    event_batch: int = EVENT_BATCH,
    row_batch: int = ROW_BATCH,
    cache_limit: int = CACHE_LIMIT,
) -> ReplayStats:
    """Replay every successful custody event in id order and report each difference.

    Run it in one read transaction (a snapshot) so events and rows agree in time.
    """
    stats = ReplayStats()
    actions = registered_actions()
    if not actions or not _TABLES:
        raise RuntimeError("no replay projectors registered (import sunlight.models first)")
    with tempfile.TemporaryDirectory(prefix="sunlight-replay-") as folder:
        state = State(Path(folder), cache_limit)
        try:
            for event in _events(session, actions, event_batch):
                stats.events += 1
                state.current = event
                for project in _PROJECTORS.get(event.action, ()):
                    project(event, state)
            state.current = None
            for check in registered_tables():
                stats.tables += 1
                _compare(
                    check,
                    state.items(check.table),
                    _table_rows(session, check, row_batch),
                    sink,
                    stats,
                )
        finally:
            state.close()
    return stats

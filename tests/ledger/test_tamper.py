"""The tamper suite: a database administrator edits the evidence tables (and, with the
append-only triggers dropped, the log) behind the application's back; `sunlight audit`
reports every change, naming the table, the row and the field.

One realistic workload (tamper_workload.py) is built once per back end; each mutation runs
on a fresh copy of it (the SQLite file and data folder copied; on PostgreSQL a database
made with CREATE DATABASE ... TEMPLATE). The mutations are generated from the replay's
own registry: every audited column of every audited table, changed, cleared and filled
in, every audited table's rows deleted and inserted, swaps between recordings, and the
log-side edits (events and leaves deleted, a tail rolled back, backdated events
appended, subtree hashes damaged).
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import (
    Column,
    Connection,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.exc import IntegrityError
from tests.conftest import embedded_settings
from tests.ledger.tamper_workload import Built, build
from tests.support.dba import dba
from tests.support.services import POSTGRES_URL, PostgresTemplate

import sunlight.models  # noqa: F401  (registers every domain's replay projectors)
from sunlight.cli.main import cli
from sunlight.db.base import Base
from sunlight.evidence.models import CustodyEvent
from sunlight.evidence.replay import Difference, TableCheck, registered_tables, replay
from sunlight.ledger import audit, restore, sealing
from sunlight.ledger.audit import AuditReport, Finding, run_audit
from sunlight.ledger.models import LedgerCheckpoint
from sunlight.runtime import Runtime, start

#: The workload's "today" is the wall clock's: undoing a deletion is dated by the wall clock,
#: and the second retention run (31 days on) must see that undo as past its grace period.
TODAY = datetime.now(UTC).date()
APPEND_ONLY = (
    "custody_events",
    "ledger_leaves",
    "ledger_nodes",
    "ledger_checkpoints",
    "ledger_cosignatures",
)
#: Domain tables the database also keeps append-only (the DBA drops their triggers first).
DOMAIN_APPEND_ONLY = ("request_events",)


# -- the built workload, once per back end -----------------------------------------------


@dataclass
class Source:
    backend: str
    home: Path
    built: Built
    database: str | None = None  # PostgreSQL: the database every copy is made from


@pytest.fixture(scope="session")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    root = tmp_path_factory.mktemp("tamper-sqlite")
    rt = start(embedded_settings(root / "home"))
    try:
        built = build(rt, root / "clips", today=TODAY)
    finally:
        rt.close()
    return Source("sqlite", root / "home", built)


@pytest.fixture(scope="session")
def postgresql_source(
    tmp_path_factory: pytest.TempPathFactory, postgres_template: PostgresTemplate | None
) -> Iterator[Source]:
    if postgres_template is None:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    assert postgres_template is not None
    root = tmp_path_factory.mktemp("tamper-pg")
    name = postgres_template.new_database()
    settings = embedded_settings(root / "home", database_url=postgres_template.url_for(name))
    rt = start(settings, migrate=False)
    try:
        built = build(rt, root / "clips", today=TODAY)
    finally:
        rt.close()
    yield Source("postgresql", root / "home", built, name)
    postgres_template.drop(name)


@dataclass
class Copy:
    rt: Runtime
    built: Built
    home: Path
    env: dict[str, str]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    postgres_template: PostgresTemplate | None,
) -> Iterator[Copy]:
    """A fresh copy of the built workload on one back end."""
    source: Source = request.getfixturevalue(f"{request.param}_source")
    home = tmp_path / "home"
    shutil.copytree(source.home, home)
    env = {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}
    dbname = None
    if source.database is None:
        settings = embedded_settings(home)
    else:
        assert postgres_template is not None
        dbname = f"sunlight_t_{uuid.uuid4().hex[:10]}"
        admin = create_engine(
            postgres_template.admin_url.replace("postgresql://", "postgresql+psycopg://", 1),
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{dbname}" TEMPLATE "{source.database}"'))
        admin.dispose()
        url = postgres_template.url_for(dbname)
        settings = embedded_settings(home, database_url=url)
        env["SUNLIGHT_DATABASE_URL"] = url
    rt = start(settings, migrate=False)
    # A copied home is a restored host: show it the latest checkpoint, as an operator would.
    with rt.db.session(read_only=True) as session:
        latest = session.scalars(
            select(LedgerCheckpoint.note).order_by(LedgerCheckpoint.size.desc()).limit(1)
        ).first()
    if latest is not None:
        restore.restore_check(rt, latest)
    # The DBA's first step against a domain table the database keeps append-only.
    drop_triggers(rt, DOMAIN_APPEND_ONLY)
    on = "" if rt.db.dialect == "sqlite" else " ON policy_versions"
    dba(rt, *(f"DROP TRIGGER IF EXISTS policy_versions_{t}{on}" for t in ("fixed", "kept")))
    yield Copy(rt, source.built, home, env)
    rt.close()
    if dbname is not None:
        assert postgres_template is not None
        postgres_template.drop(dbname)


# -- helpers ----------------------------------------------------------------------------


def drop_triggers(rt: Runtime, tables: tuple[str, ...] = APPEND_ONLY) -> None:
    if rt.db.dialect == "sqlite":
        dba(
            rt,
            *(
                f"DROP TRIGGER IF EXISTS {t}_no_{verb}"
                for t in tables
                for verb in ("update", "delete")
            ),
        )
    else:
        dba(rt, *(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in tables))


def table_of(name: str) -> Table:
    return Base.metadata.tables[name]


def check_of(name: str) -> TableCheck:
    return next(c for c in registered_tables() if c.table == name)


def key_label(check: TableCheck, row: Any) -> str:
    values = [row._mapping[k] for k in check.key]
    return "/".join(str(v) for v in values)


def key_filter(table: Table, check: TableCheck, row: Any) -> Any:
    return tuple_(*(table.c[k] for k in check.key)) == tuple_(*(row._mapping[k] for k in check.key))


def other_id(conn: Connection, column: Column[Any], current: Any) -> int:
    """Another row's id in the table ``column`` references."""
    (fk,) = column.foreign_keys
    target = fk.column
    found = (
        conn.scalar(select(func.min(target)).where(target != current))
        if current is not None
        else conn.scalar(select(func.min(target)))
    )
    assert found is not None, f"nothing for {column} to point at"
    return int(found)


def altered(conn: Connection, column: Column[Any], value: Any) -> Any:
    """A different value of the column's type (a plausible edit)."""
    if column.foreign_keys:
        return other_id(conn, column, value)
    kind = column.type
    if value is None:
        py = getattr(kind, "impl", kind).python_type
        if py is datetime:
            return datetime(2026, 2, 2, 2, 2, tzinfo=UTC)
        if py is date:
            return date(2026, 2, 2)
        if py is bool:
            return True
        if py is int:
            return 7
        if column.name.endswith("sha256"):
            return hashlib.sha256(b"planted").hexdigest()
        return "tampered"
    if isinstance(value, datetime):
        return value + timedelta(days=1)
    if isinstance(value, date):
        return value + timedelta(days=1)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 100
    if isinstance(value, list):
        return [*value, "user:manage"]
    if isinstance(value, str):
        if column.name.endswith("sha256"):
            return hashlib.sha256(value.encode()).hexdigest()
        limit = getattr(kind, "length", None) if isinstance(kind, (String, Text)) else None
        tail = "y" if value.endswith("x") else "x"
        return value + tail if limit is None or len(value) < limit else value[:-1] + tail
    raise AssertionError(f"no alteration for {column} = {value!r}")


def reported(report: AuditReport, match: Callable[[Finding], bool]) -> bool:
    return any(match(f) for f in report.findings)


def describe(report: AuditReport) -> str:
    return (
        "\n".join(f"{f.kind} {f.table} {f.row} {f.field}: {f.detail}" for f in report.findings)
        or "no findings"
    )


# -- the mutations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mutation:
    name: str
    apply: Callable[[Copy], Callable[[Finding], bool]]

    def __repr__(self) -> str:
        return self.name


def column_mutation(table_name: str, column: str, kind: str, field: str | None = None) -> Mutation:
    """``change`` a set value, ``clear`` it to NULL, or ``fill`` a NULL one in; reported
    under ``field`` (the column itself, or the derived value computed from it)."""

    def apply(copy: Copy) -> Callable[[Finding], bool]:
        check = check_of(table_name)
        table = table_of(table_name)
        col = table.c[column]
        with copy.rt.db.engine.begin() as conn:
            rows = conn.execute(
                select(*(table.c[k] for k in check.key), col).order_by(
                    *(table.c[k] for k in check.key)
                )
            ).all()
            wanted = [r for r in rows if (r[-1] is None) == (kind == "fill")]
            assert wanted, f"the workload has no {table_name} row to {kind} {column} on"
            row = wanted[0]
            value = None if kind == "clear" else altered(conn, col, row[-1])
            conn.execute(update(table).where(key_filter(table, check, row)).values({column: value}))
        label = key_label(check, row)
        return lambda f: (
            f.kind == "replay" and (f.table, f.row, f.field) == (table_name, label, field or column)
        )

    return Mutation(f"{table_name}.{column}:{kind}", apply)


def repoint_mutation(table_name: str, column: str) -> Mutation:
    """Re-point a row's reference at another row of the table it references, the first
    (row, target) pair that the table's unique constraints allow (a caption version moved to
    another track must take a version number that track lacks)."""

    def apply(copy: Copy) -> Callable[[Finding], bool]:
        check = check_of(table_name)
        table = table_of(table_name)
        col = table.c[column]
        target = next(iter(col.foreign_keys)).column
        keys = [table.c[k] for k in check.key]
        with copy.rt.db.engine.begin() as conn:
            rows = conn.execute(select(*keys, col).order_by(*keys)).all()
            choices = list(conn.scalars(select(target).order_by(target)))

            def moved() -> Any:
                for row in rows:
                    for candidate in choices:
                        if candidate == row[-1]:
                            continue
                        try:
                            with conn.begin_nested():
                                conn.execute(
                                    update(table)
                                    .where(key_filter(table, check, row))
                                    .values({column: candidate})
                                )
                            return row
                        except IntegrityError:
                            continue
                raise AssertionError(f"no {table_name} row can be re-pointed by {column}")

            row = moved()
        label = key_label(check, row)
        return lambda f: (
            f.kind == "replay" and (f.table, f.row, f.field) == (table_name, label, column)
        )

    return Mutation(f"{table_name}.{column}:repoint", apply)


def key_mutation(table_name: str, column: str) -> Mutation:
    """Re-point a row keyed by (incident, recording) at another one."""

    def apply(copy: Copy) -> Callable[[Finding], bool]:
        check = check_of(table_name)
        table = table_of(table_name)
        with copy.rt.db.engine.begin() as conn:
            row = conn.execute(select(table).order_by(*(table.c[k] for k in check.key))).first()
            assert row is not None
            target = table.c[column].foreign_keys.copy().pop().column
            for candidate in conn.scalars(select(target).order_by(target)):
                if candidate == row._mapping[column]:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(
                            update(table).where(table.c.id == row.id).values({column: candidate})
                        )
                    break
                except IntegrityError:
                    continue
        label = key_label(check, row)
        return lambda f: (
            f.kind == "replay" and f.table == table_name and f.row == label and f.field is None
        )

    return Mutation(f"{table_name}.{column}:repoint", apply)


def cascade_delete(conn: Connection, table: Table, where: Any) -> None:
    """Delete rows and, first, every row that references them (as a DBA must)."""
    ids = [r[0] for r in conn.execute(select(table.c.id).where(where))] if "id" in table.c else []
    for other in Base.metadata.tables.values():
        for column in other.columns:
            for fk in column.foreign_keys:
                if fk.column.table is table and ids:
                    cascade_delete(conn, other, column.in_(ids))
    conn.execute(delete(table).where(where))


def delete_mutation(table_name: str) -> Mutation:
    def apply(copy: Copy) -> Callable[[Finding], bool]:
        check = check_of(table_name)
        table = table_of(table_name)
        with copy.rt.db.engine.begin() as conn:
            row = conn.execute(select(table).order_by(*(table.c[k] for k in check.key))).first()
            assert row is not None, f"the workload has no {table_name} row"
            cascade_delete(conn, table, key_filter(table, check, row))
        label = key_label(check, row)
        return lambda f: (
            f.kind == "replay"
            and (f.table, f.row, f.field)
            == (
                table_name,
                label,
                None,
            )
        )

    return Mutation(f"{table_name}:delete", apply)


def insert_mutation(table_name: str) -> Mutation:
    """A row nobody recorded: a copy of the last one, made unique."""

    def apply(copy: Copy) -> Callable[[Finding], bool]:
        check = check_of(table_name)
        table = table_of(table_name)
        unique = {c.name for c in table.columns if c.unique}
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                unique.add(list(constraint.columns)[-1].name)
        with copy.rt.db.engine.begin() as conn:
            last = conn.execute(
                select(table).order_by(*(table.c[k] for k in check.key)).limit(1)
            ).first()
            assert last is not None
            values = dict(last._mapping)
            values.pop("id", None)
            for name in unique - {"id"}:
                values[name] = altered(conn, table.c[name], values[name])
            candidates = [values]
            if any(table.c[n].foreign_keys for n in unique):
                name = next(n for n in unique if table.c[n].foreign_keys)
                target = next(iter(table.c[name].foreign_keys)).column
                candidates = [{**values, name: v} for v in conn.scalars(select(target))]
            for candidate in candidates:
                try:
                    with conn.begin_nested():
                        result = conn.execute(insert(table).values(candidate))
                    break
                except IntegrityError:
                    continue
            else:
                raise AssertionError(f"no {table_name} row could be inserted")
            if "id" in check.key:
                assert result.inserted_primary_key is not None
                label = str(result.inserted_primary_key[0])
            else:
                label = "/".join(str(candidate[k]) for k in check.key)
        return lambda f: (
            f.kind == "replay" and (f.table, f.row, f.field) == (table_name, label, None)
        )

    return Mutation(f"{table_name}:insert", apply)


def swap_mutation(column: str) -> Mutation:
    """Swap one field between the first two recordings whose values differ."""

    def apply(copy: Copy) -> Callable[[Finding], bool]:
        table = table_of("recordings")
        with copy.rt.db.engine.begin() as conn:
            rows = conn.execute(select(table.c.id, table.c[column]).order_by(table.c.id)).all()
            first = rows[0]
            second = next(r for r in rows[1:] if r[1] != first[1])
            if column == "sha256":  # unique: through a placeholder
                conn.execute(update(table).where(table.c.id == first.id).values(sha256="0" * 64))
            conn.execute(update(table).where(table.c.id == second.id).values({column: first[1]}))
            conn.execute(update(table).where(table.c.id == first.id).values({column: second[1]}))
        rows_hit = {str(first.id), str(second.id)}
        seen: set[str] = set()

        def match(f: Finding) -> bool:
            if (
                f.kind == "replay"
                and f.table == "recordings"
                and f.field == column
                and f.row in rows_hit
            ):
                seen.add(f.row)
            return seen == rows_hit

        return match

    return Mutation(f"recordings.{column}:swap", apply)


def log_mutation(name: str, kinds: set[str]) -> Callable[[Callable[[Copy], None]], Mutation]:
    def wrap(fn: Callable[[Copy], None]) -> Mutation:
        def apply(copy: Copy) -> Callable[[Finding], bool]:
            drop_triggers(copy.rt)
            fn(copy)
            return lambda f: f.kind in kinds

        return Mutation(name, apply)

    return wrap


def _ingest_event_of(copy: Copy, recording_id: int) -> int:
    with copy.rt.db.session() as s:
        found = s.scalar(
            select(CustodyEvent.id).where(
                CustodyEvent.action == "ingest", CustodyEvent.object_id == str(recording_id)
            )
        )
    assert found is not None
    return int(found)


@log_mutation("log:event-deleted", {"deleted"})
def _event_deleted(copy: Copy) -> None:
    event = _ingest_event_of(copy, copy.built.recordings["c2"])
    # The sealed leaf references the event: the DBA turns the foreign key check off.
    off = (
        "PRAGMA foreign_keys = OFF"
        if copy.rt.db.dialect == "sqlite"
        else "SET session_replication_role = replica"
    )
    dba(copy.rt, off, f"DELETE FROM custody_events WHERE id = {event}")


def _replayed_without_its_ingest(copy: Copy) -> Callable[[Finding], bool]:
    """The same deletion, seen by the replay: the row outlives the event that created it
    (its later events, the derivatives', remain)."""
    _event_deleted.apply(copy)
    label = str(copy.built.recordings["c2"])
    return lambda f: (
        f.kind == "replay"
        and (f.table, f.row, f.field)
        == (
            "recordings",
            label,
            None,
        )
    )


@log_mutation("log:leaf-deleted", {"deleted", "checkpoint"})
def _leaf_deleted(copy: Copy) -> None:
    dba(copy.rt, "DELETE FROM ledger_leaves WHERE leaf_index = 5")


@log_mutation("log:unsealed-tail-dropped", {"replay"})
def _unsealed_tail_dropped(copy: Copy) -> None:
    dba(
        copy.rt,
        "DELETE FROM custody_events WHERE id NOT IN (SELECT event_id FROM ledger_leaves)",
    )


@log_mutation("log:tail-rolled-back", {"replay", "deleted"})
def _tail_rolled_back(copy: Copy) -> None:
    """Drop every event from the redacted copy's ingest on, their leaves, and the
    checkpoints covering them: the log looks shorter, but the tables remember."""
    first = _ingest_event_of(copy, copy.built.recordings["copy"])
    with copy.rt.db.session() as s:
        index = s.scalar(
            select(func.min(text("leaf_index")))
            .select_from(text("ledger_leaves"))
            .where(text(f"event_id >= {first}"))
        )
    dba(
        copy.rt,
        f"DELETE FROM ledger_leaves WHERE leaf_index >= {index}",
        f"DELETE FROM ledger_checkpoints WHERE size > {index}",
        f"DELETE FROM custody_events WHERE id >= {first}",
    )


@log_mutation("log:backdated-event-appended", {"inserted"})
def _backdated_appended(copy: Copy) -> None:
    """A consistent rewrite: the table changed and a backdated event appended to match."""
    rid = copy.built.recordings["c6"]
    with copy.rt.db.engine.begin() as conn:
        conn.execute(
            update(table_of("recordings"))
            .where(table_of("recordings").c.id == rid)
            .values(title="Nothing here")
        )
        conn.execute(
            insert(table_of("custody_events")).values(
                occurred_at=datetime(2026, 1, 11, tzinfo=UTC),
                actor="test:clerk",
                action="metadata.change",
                object_type="recording",
                object_id=str(rid),
                outcome="success",
                reason="Typo",
                details={"before": {"title": None}, "after": {"title": "Nothing here"}},
            )
        )


@log_mutation("log:backdated-event-sealed", {"inserted"})
def _backdated_sealed(copy: Copy) -> None:
    _backdated_appended.apply(copy)
    sealing.seal_pending(copy.rt)


@log_mutation("log:event-rewritten-with-table", {"edited"})
def _event_rewritten(copy: Copy) -> None:
    """Swap two recordings' bytes and rewrite their ingest events to match."""
    c1, c2 = copy.built.recordings["c1"], copy.built.recordings["c2"]
    rec = table_of("recordings")
    # Looked up first: a session opened inside the DBA's transaction would wait for its lock.
    ingest_events = {rid: _ingest_event_of(copy, rid) for rid in (c1, c2)}
    with copy.rt.db.engine.begin() as conn:
        sha = dict(conn.execute(select(rec.c.id, rec.c.sha256).where(rec.c.id.in_([c1, c2]))).all())
        conn.execute(update(rec).where(rec.c.id == c1).values(sha256="0" * 64))
        conn.execute(update(rec).where(rec.c.id == c2).values(sha256=sha[c1]))
        conn.execute(update(rec).where(rec.c.id == c1).values(sha256=sha[c2]))
        events = table_of("custody_events")
        for rid, new in ((c1, sha[c2]), (c2, sha[c1])):
            event = ingest_events[rid]
            details = conn.scalar(select(events.c.details).where(events.c.id == event))
            conn.execute(
                update(events)
                .where(events.c.id == event)
                .values(details={**(details or {}), "sha256": new})
            )


@log_mutation("log:subtree-hashes-damaged", {"node"})
def _nodes_damaged(copy: Copy) -> None:
    zero = "X'" + "00" * 32 + "'" if copy.rt.db.dialect == "sqlite" else "'\\x" + "00" * 32 + "'"
    dba(copy.rt, f"UPDATE ledger_nodes SET hash = {zero} WHERE level = 1")


LOG_MUTATIONS = [
    _event_deleted,
    Mutation("log:ingest-event-deleted:replay", _replayed_without_its_ingest),
    _leaf_deleted,
    _unsealed_tail_dropped,
    _tail_rolled_back,
    _backdated_appended,
    _backdated_sealed,
    _event_rewritten,
    _nodes_damaged,
]

#: Column mutations the workload has no row for (every recording has a recording time;
#: every plan and deletion field is always set; ...): NOT NULL columns are never cleared
#: or filled, and these nullable ones are never NULL (or never set) in a real workload.
NO_ROW = {
    ("recordings", "recorded_at", "fill"),
    ("recordings", "recorded_at_source", "fill"),
    ("recordings", "proxy_sha256", "change"),
    ("recordings", "proxy_sha256", "clear"),
    # a release made by a court order (covered by tests/release); the workload's court
    # orders deny and set conditions
    ("releases", "court_order_id", "change"),
    ("releases", "court_order_id", "clear"),
    # every request has a salt drawn when it is filed
    ("records_requests", "requester_salt", "fill"),
    # every stored policy version has its effective date; every comment is moderated
    ("policy_versions", "effective_at", "fill"),
    ("policy_comments", "moderated_by", "fill"),
}


#: References whose plain change would break a unique constraint of the workload's rows;
#: they are re-pointed at the first other row the constraints allow instead.
REPOINTED = {("caption_versions", "track_id")}


def all_mutations() -> list[Mutation]:
    found: list[Mutation] = []
    for check in registered_tables():
        table = table_of(check.table)
        for column in check.columns:
            if (check.table, column) in REPOINTED:
                found.append(repoint_mutation(check.table, column))
                continue
            kinds = ["change"] + (["clear", "fill"] if table.c[column].nullable else [])
            for kind in kinds:
                if (check.table, column, kind) not in NO_ROW:
                    found.append(column_mutation(check.table, column, kind))
        for derived in check.derived:  # columns the log holds only a commitment to
            for column in derived.sources:
                kinds = ["change"] + (["clear", "fill"] if table.c[column].nullable else [])
                for kind in kinds:
                    if (check.table, column, kind) not in NO_ROW:
                        found.append(column_mutation(check.table, column, kind, derived.name))
        if len(check.key) == 2:
            found.extend(key_mutation(check.table, k) for k in check.key)
        if check.require_event:
            found.append(delete_mutation(check.table))
            found.append(insert_mutation(check.table))
    for column in (
        "sha256",
        "size_bytes",
        "officer_id",
        "device_id",
        "recorded_at",
        "original_filename",
    ):
        found.append(swap_mutation(column))
    return found + LOG_MUTATIONS


MUTATIONS = all_mutations()


def test_the_suite_is_large_enough() -> None:
    assert len(MUTATIONS) >= 100, len(MUTATIONS)
    assert len({m.name for m in MUTATIONS}) == len(MUTATIONS)


def test_the_untampered_copy_audits_clean(fresh: Copy) -> None:
    report = run_audit(fresh.rt)
    assert report.ok, describe(report)
    assert report.events_unsealed == fresh.built.unsealed
    assert report.events_replayed > 50 and report.rows_checked > 30


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.name for m in MUTATIONS])
def test_every_mutation_is_reported(fresh: Copy, mutation: Mutation) -> None:
    match = mutation.apply(fresh)
    report = run_audit(fresh.rt, objects=False)
    assert reported(report, match), f"{mutation.name} went unnoticed:\n{describe(report)}"


def test_the_cli_names_table_row_and_field(fresh: Copy) -> None:
    """The issue's case: two recordings' sha256 swapped; `sunlight audit` exits 1 and says
    which rows serve which bytes."""
    match = swap_mutation("sha256").apply(fresh)
    fresh.rt.close()
    result = CliRunner().invoke(cli, ["audit"], env=fresh.env, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert "FINDING replay" in result.output
    assert "recordings row id=1: sha256 is" in result.output
    assert f"({fresh.built.unsealed} not yet sealed)" in result.output
    del match


def test_tiny_batches_and_cache_give_the_same_answer(fresh: Copy) -> None:
    """Paging events and rows and evicting the expected-state cache change nothing."""
    swap_mutation("officer_id").apply(fresh)
    column_mutation("incident_recordings", "how", "change").apply(fresh)
    answers = []
    for sizes in ({}, {"event_batch": 3, "row_batch": 2, "cache_limit": 4}):
        found: list[Difference] = []
        with fresh.rt.db.session() as session:
            stats = replay(session, found.append, **sizes)
        answers.append((stats, sorted((d.table, d.row, d.field) for d in found)))
    assert answers[0] == answers[1]
    assert len(answers[0][1]) == 3, answers[0][1]


def test_findings_per_table_are_capped(fresh: Copy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "MAX_REPLAY_FINDINGS", 2)
    recordings = table_of("recordings")
    with fresh.rt.db.engine.begin() as conn:
        total = conn.scalar(select(func.count()).select_from(recordings))
        conn.execute(update(recordings).values(original_filename="renamed.mp4"))
    report = run_audit(fresh.rt, objects=False)
    listed = [f for f in report.findings if f.table == "recordings"]
    assert len(listed) == 3
    assert listed[-1].detail == f"recordings: {total - 2} more differences not listed"

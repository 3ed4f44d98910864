"""`sunlight audit` catches a database administrator who drops the append-only triggers
and rewrites history, and a stored object whose bytes changed."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text, update
from tests.ledger.conftest import add_events
from tests.support.dba import dba

from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import checkpoints
from sunlight.ledger.audit import RootAccumulator, run_audit
from sunlight.ledger.verify import root_from_leaf_hashes
from sunlight.runtime import Runtime
from sunlight.storage import LocalObjectStore

EVENT_TABLE = CustodyEvent.__table__


def drop_event_triggers(rt: Runtime) -> None:
    if rt.db.dialect == "sqlite":
        dba(rt, "DROP TRIGGER custody_events_no_update", "DROP TRIGGER custody_events_no_delete")
    else:
        dba(rt, "DROP TRIGGER custody_events_append_only ON custody_events")


def sealed_log(rt: Runtime, count: int = 12) -> list[int]:
    ids = add_events(rt, count)
    checkpoints.seal_and_checkpoint(rt)
    report = run_audit(rt)
    assert report.ok, report.findings
    assert (report.log_size, report.events_checked, report.checkpoints_checked) == (count, count, 1)
    return ids


def kinds(rt: Runtime) -> list[tuple[str, int | None]]:
    report = run_audit(rt)
    assert not report.ok
    return sorted((f.kind, f.event_id) for f in report.findings)


def test_the_triggers_stop_casual_rewrites(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt, 3)
    with pytest.raises(Exception, match="append-only"):
        dba(rt, f"UPDATE custody_events SET reason = 'x' WHERE id = {ids[0]}")
    with pytest.raises(Exception, match="append-only"):
        dba(rt, "DELETE FROM ledger_leaves WHERE leaf_index = 0")


def test_audit_detects_an_edited_event(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt)
    drop_event_triggers(rt)
    dba(rt, f"UPDATE custody_events SET reason = 'nothing to see here' WHERE id = {ids[4]}")
    found = kinds(rt)
    assert ("edited", ids[4]) in found
    assert any(kind == "checkpoint" for kind, _ in found)


def test_audit_detects_an_edited_timestamp(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt)
    drop_event_triggers(rt)
    with rt.db.engine.begin() as conn:
        when = conn.scalar(select(CustodyEvent.occurred_at).where(CustodyEvent.id == ids[2]))
        conn.execute(
            update(EVENT_TABLE)
            .where(EVENT_TABLE.c.id == ids[2])
            .values(occurred_at=when - timedelta(hours=2))
        )
    assert ("edited", ids[2]) in kinds(rt)


def test_audit_detects_a_deleted_event(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt)
    drop_event_triggers(rt)
    if rt.db.dialect == "sqlite":
        dba(rt, "PRAGMA foreign_keys=OFF", f"DELETE FROM custody_events WHERE id = {ids[7]}")
    else:
        dba(
            rt,
            "ALTER TABLE ledger_leaves DROP CONSTRAINT fk_ledger_leaves_event_id_custody_events",
            f"DELETE FROM custody_events WHERE id = {ids[7]}",
        )
    assert ("deleted", ids[7]) in kinds(rt)


def test_audit_detects_a_deleted_event_and_its_leaf(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt)
    drop_event_triggers(rt)
    if rt.db.dialect == "sqlite":
        dba(rt, "DROP TRIGGER ledger_leaves_no_delete")
    else:
        dba(rt, "DROP TRIGGER ledger_leaves_append_only ON ledger_leaves")
    dba(
        rt,
        "DELETE FROM ledger_leaves WHERE leaf_index = 11",
        f"DELETE FROM custody_events WHERE id = {ids[11]}",
    )
    report = run_audit(rt)
    assert any(f.kind == "deleted" and "checkpoint 12" in f.detail for f in report.findings)


def _swap(rt: Runtime, a: int, b: int) -> None:
    columns = (
        "occurred_at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "outcome",
        "reason",
        "details",
    )
    with rt.db.engine.begin() as conn:
        rows: dict[int, Any] = {
            row.id: row
            for row in conn.execute(select(EVENT_TABLE).where(EVENT_TABLE.c.id.in_([a, b])))
        }
        for target, source in ((a, b), (b, a)):
            values = {c: getattr(rows[source], c) for c in columns}
            conn.execute(update(EVENT_TABLE).where(EVENT_TABLE.c.id == target).values(**values))


def test_audit_detects_reordered_events(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = sealed_log(rt)
    drop_event_triggers(rt)
    _swap(rt, ids[3], ids[4])
    found = kinds(rt)
    assert ("reordered", ids[3]) in found and ("reordered", ids[4]) in found
    assert not any(kind == "edited" for kind, _ in found)


def test_audit_detects_an_event_inserted_into_history(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ids = add_events(rt, 5)
    with rt.db.engine.begin() as conn:  # an honest event after a gap in the ids
        conn.execute(
            text(
                "INSERT INTO custody_events (id, occurred_at, actor, action, object_type, "
                "object_id, outcome, details) SELECT :id, occurred_at, actor, action, "
                "object_type, object_id, outcome, details FROM custody_events WHERE id = :src"
            ),
            {"id": ids[-1] + 50, "src": ids[-1]},
        )
    checkpoints.seal_and_checkpoint(rt)
    assert run_audit(rt).ok
    with rt.db.engine.begin() as conn:  # a forged, backdated event slipped into the gap
        when = conn.scalar(select(CustodyEvent.occurred_at).where(CustodyEvent.id == ids[0]))
        conn.execute(
            insert(EVENT_TABLE).values(
                id=ids[-1] + 10,
                occurred_at=when - timedelta(days=3),
                actor="user:ghost",
                action="view",
                object_type="recording",
                object_id="1",
                outcome="success",
                details={},
            )
        )
    assert ("inserted", ids[-1] + 10) in kinds(rt)
    checkpoints.seal_and_checkpoint(rt)  # even once sealed, it stays suspicious
    assert ("inserted", ids[-1] + 10) in kinds(rt)


def test_audit_detects_a_flipped_byte_in_a_stored_object(
    embedded_runtime: Runtime, tmp_path: Path
) -> None:
    rt = embedded_runtime
    source = tmp_path / "evidence.bin"
    source.write_bytes(os.urandom(4096))
    stored = rt.store.put_file(source)
    sealed_log(rt, 2)
    assert run_audit(rt).objects_checked == 1
    assert isinstance(rt.store, LocalObjectStore)
    path = rt.store.path_for(stored.sha256)
    os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    with open(path, "r+b") as fh:
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0x01]))
    report = run_audit(rt)
    assert [f.kind for f in report.findings] == ["object"]
    assert stored.sha256 in report.findings[0].detail


def test_root_accumulator_matches_the_reference() -> None:
    acc = RootAccumulator()
    hashes = [bytes([i % 256]) * 32 for i in range(70)]
    for n, h in enumerate(hashes, start=1):
        acc.add(h)
        assert acc.root() == root_from_leaf_hashes(hashes[:n])


def test_audit_report_is_json(embedded_runtime: Runtime) -> None:
    sealed_log(embedded_runtime, 1)
    document = json.loads(json.dumps(run_audit(embedded_runtime).as_dict()))
    assert document["ok"] is True


def test_audit_detects_damaged_subtree_hashes(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    sealed_log(rt, 16)
    if rt.db.dialect == "sqlite":
        dba(rt, "DROP TRIGGER ledger_nodes_no_update")
    else:
        dba(rt, "DROP TRIGGER ledger_nodes_append_only ON ledger_nodes")
    # The 8-leaf subtree's hash feeds every proof of the 16-leaf tree's left half.
    dba(
        rt,
        "UPDATE ledger_nodes SET hash = (SELECT hash FROM ledger_nodes WHERE level = 3 AND idx = 1)"
        " WHERE level = 3 AND idx = 0",
    )
    report = run_audit(rt)
    assert [f.kind for f in report.findings] == ["node"]


def test_findings_are_counted_but_listed_only_up_to_a_bound() -> None:
    from sunlight.ledger.audit import MAX_LISTED_PER_KIND, AuditReport, Finding

    report = AuditReport()
    report.findings += [Finding("edited", f"e{i}") for i in range(MAX_LISTED_PER_KIND + 5)]
    report.findings.append(Finding("deleted", "d"))
    assert not report.ok
    assert len(report.findings) == MAX_LISTED_PER_KIND + 1
    assert report.findings.counts == {"edited": MAX_LISTED_PER_KIND + 5, "deleted": 1}
    document = report.as_dict()
    assert document["findings_not_listed"] == 5
    assert document["finding_counts"]["edited"] == MAX_LISTED_PER_KIND + 5
    assert AuditReport().ok

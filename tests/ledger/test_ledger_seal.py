"""Sealing custody events into the log, signing checkpoints, proofs from stored nodes."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from tests.ledger.conftest import add_events

from sunlight.evidence.models import CustodyEvent
from sunlight.ledger import checkpoints, log_identity, proofs, sealing, stored_log
from sunlight.ledger.audit import run_audit
from sunlight.ledger.errors import LedgerError
from sunlight.ledger.models import LedgerCheckpoint, LedgerLeaf
from sunlight.ledger.verify import (
    leaf_hash,
    open_checkpoint,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from sunlight.runtime import Runtime


def leaves(runtime: Runtime) -> list[LedgerLeaf]:
    with runtime.db.session() as session:
        return list(session.scalars(select(LedgerLeaf).order_by(LedgerLeaf.leaf_index)))


def event_ids(runtime: Runtime) -> list[int]:
    with runtime.db.session() as session:
        return list(session.scalars(select(CustodyEvent.id).order_by(CustodyEvent.id)))


def test_sealing_is_gapless_ordered_and_idempotent(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    add_events(rt, 25)
    assert sealing.seal_pending(rt, batch_size=7) == 25
    assert sealing.seal_pending(rt) == 25  # nothing new: nothing changes
    add_events(rt, 5, start_at=25)
    assert sealing.seal_pending(rt) == 30
    sealed = leaves(rt)
    assert [x.leaf_index for x in sealed] == list(range(30))
    assert [x.event_id for x in sealed] == event_ids(rt)
    for x in sealed:
        assert leaf_hash(x.entry) == x.leaf_hash
        assert json.loads(x.entry)["event"] == x.event_id
    with rt.db.session() as session:
        tree = stored_log.tree_for(session)
        assert tree.root(30) == root_from_leaf_hashes([x.leaf_hash for x in sealed])


def test_entries_keep_private_fields_out(embedded_runtime: Runtime) -> None:
    add_events(embedded_runtime, 4)
    sealing.seal_pending(embedded_runtime)
    for x in leaves(embedded_runtime):
        body = x.entry.decode()
        assert "user:" not in body and "clip-" not in body and "review" not in body
        assert json.loads(body)["hashes"]["sha256"]


def test_checkpoints_sign_verify_and_extend(any_db_runtime: Runtime) -> None:
    rt = any_db_runtime
    ident, created = log_identity.init_key(rt)
    assert created
    key_file = ident.settings.key_file
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    add_events(rt, 10)
    first = checkpoints.seal_and_checkpoint(rt)
    cp1, _ = open_checkpoint(first.note, ident.verifier_key, origin=ident.origin)
    assert cp1.size == 10
    assert checkpoints.issue_checkpoint(rt).id == first.id  # same size: no new checkpoint
    add_events(rt, 13, start_at=10)
    second = checkpoints.seal_and_checkpoint(rt)
    cp2, _ = open_checkpoint(second.note, ident.verifier_key, origin=ident.origin)
    assert cp2.size == 23
    with rt.db.session() as session:
        proof = proofs.consistency_proof(session, 10, 23)
        verify_consistency(10, 23, proof, cp1.root_hash, cp2.root_hash)
        for index in (0, 9, 22):
            digest = leaves(rt)[index].leaf_hash
            verify_inclusion(
                digest, index, 23, proofs.inclusion_proof(session, index, 23), cp2.root_hash
            )


def test_refuses_to_sign_a_tree_inconsistent_with_the_last_checkpoint(
    embedded_runtime: Runtime,
) -> None:
    rt = embedded_runtime
    add_events(rt, 6)
    checkpoints.seal_and_checkpoint(rt)
    # A forged leaf node (as a DBA with the triggers dropped could write): the stored hashes
    # no longer give the signed root, and the log refuses to sign anything more.
    with rt.db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TRIGGER ledger_nodes_no_update")
        conn.exec_driver_sql(
            "UPDATE ledger_nodes SET hash = zeroblob(32) WHERE level = 2 AND idx = 0"
        )
    add_events(rt, 3, start_at=6)
    sealing.seal_pending(rt)
    with pytest.raises(LedgerError, match="refusing to sign"):
        checkpoints.issue_checkpoint(rt)
    with rt.db.session() as session:
        assert (
            session.scalar(select(LedgerCheckpoint.size).order_by(LedgerCheckpoint.size.desc()))
            == 6
        )


def test_late_committed_events_are_still_sealed(embedded_runtime: Runtime) -> None:
    rt = embedded_runtime
    ids = add_events(rt, 3)
    sealing.seal_pending(rt)
    # An event id below the sealed frontier (a transaction that committed late).
    with rt.db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO custody_events (id, occurred_at, actor, action, object_type, "
                "object_id, outcome, details) SELECT :id, occurred_at, actor, action, "
                "object_type, object_id, outcome, details FROM custody_events WHERE id = :src"
            ),
            {"id": ids[-1] + 100, "src": ids[0]},
        )
    add_events(rt, 1, start_at=3)
    assert sealing.seal_pending(rt) == 5


def test_concurrent_sealing_threads_make_one_sequence(embedded_runtime: Runtime) -> None:
    rt = embedded_runtime
    add_events(rt, 200)
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            for _ in range(5):
                sealing.seal_pending(rt, batch_size=17)
                checkpoints.issue_checkpoint(rt)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def writer() -> None:
        for k in range(10):
            add_events(rt, 10, start_at=1000 + 10 * k)

    threads = [threading.Thread(target=sealer) for _ in range(3)] + [
        threading.Thread(target=writer)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    checkpoints.seal_and_checkpoint(rt)
    sealed = leaves(rt)
    assert [x.leaf_index for x in sealed] == list(range(300))
    assert sorted(x.event_id for x in sealed) == event_ids(rt)
    report = run_audit(rt)
    assert report.ok, report.findings


SEAL_CHILD = """
import sys, time
from pathlib import Path
from sunlight.config import load_settings
from sunlight.runtime import start
from sunlight.ledger import checkpoints, sealing
rt = start(load_settings(), migrate=False)
flags = Path(sys.argv[1])
(flags / f"ready-{sys.argv[2]}").touch()
while not (flags / "stop").exists():
    sealing.seal_pending(rt, batch_size=37)
    checkpoints.issue_checkpoint(rt)
rt.close()
"""


def test_concurrent_sealing_processes_on_postgresql(pg_runtime: Runtime, tmp_path: Path) -> None:
    rt = pg_runtime
    add_events(rt, 500)
    log_identity.init_key(rt)  # create the key once; every process shares the key file
    env = {
        **os.environ,
        "SUNLIGHT_HOME": str(rt.settings.home),
        "SUNLIGHT_DATABASE_URL": rt.settings.database_url,
        "SUNLIGHT_WORKER_MODE": "eager",
    }
    flags = tmp_path / "flags"
    flags.mkdir()
    children = [
        subprocess.Popen(
            [sys.executable, "-c", SEAL_CHILD, str(flags), str(n)], env=env, stderr=subprocess.PIPE
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(flags.glob("ready-*"))) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    # On a loaded machine the children may need a while for their first pass: wait for
    # it, so that the events below are sealed while they run (and there are checkpoints
    # before and after them).
    while time.monotonic() < deadline:
        with rt.db.session() as session:
            if stored_log.latest_checkpoint(session) is not None:
                break
        time.sleep(0.05)
    for k in range(10):
        add_events(rt, 20, start_at=5000 + 20 * k)
        time.sleep(0.05)
    (flags / "stop").touch()
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()[-2000:]
    checkpoints.seal_and_checkpoint(rt)
    sealed = leaves(rt)
    assert [x.leaf_index for x in sealed] == list(range(700))
    assert sorted(x.event_id for x in sealed) == event_ids(rt)
    report = run_audit(rt)
    assert report.ok, report.findings
    assert report.checkpoints_checked >= 2


def test_proofs_read_stored_nodes_in_one_query(any_db_runtime: Runtime) -> None:
    from sqlalchemy import event

    rt = any_db_runtime
    add_events(rt, 300)
    sealing.seal_pending(rt, batch_size=64)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with rt.db.session() as session:
        tree = stored_log.tree_for(session)
        session.execute(text("SELECT 1"))  # open the transaction first
        event.listen(rt.db.engine, "before_cursor_execute", count)
        try:
            tree.inclusion_proof(123, 300)
            tree.consistency_proof(77, 300)
            tree.root(299)
        finally:
            event.remove(rt.db.engine, "before_cursor_execute", count)
    assert len(statements) == 3, statements
    assert all("ledger_nodes" in s for s in statements)


def test_database_proofs_equal_the_in_memory_reference(embedded_runtime: Runtime) -> None:
    from sunlight.ledger.tree import MemoryHashStore, MerkleTree

    rt = embedded_runtime
    for n in (1, 2, 5, 1, 13, 18):  # sealed in uneven batches
        add_events(rt, n, start_at=len(leaves(rt)))
        sealing.seal_pending(rt, batch_size=3)
    hashes = [x.leaf_hash for x in leaves(rt)]
    memory = MemoryHashStore()
    reference = MerkleTree(memory)
    memory.put_nodes(reference.append(0, hashes))
    with rt.db.session() as session:
        tree = stored_log.tree_for(session)
        for size in range(1, len(hashes) + 1):
            assert tree.root(size) == reference.root(size) == root_from_leaf_hashes(hashes[:size])
            for index in range(size):
                assert tree.inclusion_proof(index, size) == reference.inclusion_proof(index, size)
            for older in range(1, size + 1):
                assert tree.consistency_proof(older, size) == reference.consistency_proof(
                    older, size
                )

"""The log never goes backwards, and has one identity (issue 8, point 4):

- the checkpoint file beside the key: after a rollback with the triggers dropped, the log
  refuses to sign and the audit reports it;
- a second host (fresh SUNLIGHT_HOME, same database) never creates a second key; read-only
  commands create no key;
- changed or deleted witness cosignatures are audit findings;
- a restored backup refuses to sign until shown the latest published checkpoint.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.ledger.conftest import add_events
from tests.support.dba import dba
from tests.support.server import live_server

from sunlight.cli.main import cli
from sunlight.config import load_settings
from sunlight.ledger import (
    checkpoints,
    cosign,
    errors,
    integrity,
    log_identity,
    proofs,
    restore,
    sealing,
    stored_log,
    witness_trust,
)
from sunlight.ledger import state as log_state
from sunlight.ledger import witness as w
from sunlight.ledger.audit import run_audit
from sunlight.ledger.config import ledger_settings
from sunlight.ledger.verify import cosign_checkpoint
from sunlight.runtime import Runtime, start


def drop_triggers(rt: Runtime, *tables: str) -> None:
    for table in tables:
        if rt.db.dialect == "sqlite":
            dba(rt, f"DROP TRIGGER {table}_no_update", f"DROP TRIGGER {table}_no_delete")
        else:
            dba(rt, f"DROP TRIGGER {table}_append_only ON {table}")


def second_host(rt: Runtime, home: Path) -> Runtime:
    """Another host: its own SUNLIGHT_HOME (no key, no checkpoint file), the same database."""
    return start(rt.settings.with_overrides(home=home), migrate=False)


@pytest.fixture
def host2(runtime: Runtime, tmp_path: Path) -> Iterator[Runtime]:
    other = second_host(runtime, tmp_path / "host2")
    yield other
    other.close()


def kinds(rt: Runtime) -> list[str]:
    return sorted({f.kind for f in run_audit(rt, objects=False).findings})


# -- rollback ---------------------------------------------------------------------------


def test_rollback_with_triggers_dropped_is_refused_and_reported(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    rt = runtime
    add_events(rt, 45)
    checkpoints.seal_and_checkpoint(rt)
    ids = add_events(rt, 1, start_at=45)
    assert checkpoints.seal_and_checkpoint(rt).size == 46
    path = ledger_settings(rt.settings).state_file
    assert log_state.read_state(path) is not None
    assert log_state.read_state(path).checkpoint.size == 46  # type: ignore[union-attr]
    assert run_audit(rt, objects=False).ok

    # Drop the last event, its leaf and the checkpoint covering it (as in the issue).
    drop_triggers(rt, "custody_events", "ledger_leaves", "ledger_checkpoints", "ledger_nodes")
    dba(
        rt,
        "DELETE FROM ledger_checkpoints WHERE size = 46",
        "DELETE FROM ledger_leaves WHERE leaf_index = 45",
        "DELETE FROM ledger_nodes WHERE (level = 0 AND idx = 45) OR (level = 1 AND idx = 22)",
        f"DELETE FROM custody_events WHERE id = {ids[0]}",
    )
    # The database alone is consistent again: only the file beside the key knows better.
    with (
        caplog.at_level(logging.ERROR, logger="sunlight.ledger"),
        pytest.raises(errors.SigningRefused, match="ROLLBACK"),
    ):
        checkpoints.issue_checkpoint(rt)
    assert any("ROLLBACK" in r.getMessage() for r in caplog.records)  # the alarm
    found = run_audit(rt, objects=False).findings
    assert any(f.kind == "rollback" and "46" in f.detail for f in found), found
    assert integrity.signing_state(rt).startswith("refused: ROLLBACK")

    # New events would fill position 45 again (a fork of what the log published): the
    # log refuses to seal them, and to sign anything smaller.
    add_events(rt, 3, start_at=100)
    with pytest.raises(errors.SigningRefused, match="refusing to seal"):
        sealing.seal_pending(rt)
    with pytest.raises(errors.SigningRefused, match="refusing to s"):
        checkpoints.seal_and_checkpoint(rt)
    with rt.db.session() as session:
        latest = stored_log.latest_checkpoint(session)
        assert stored_log.ledger_size(session) == 45
    assert latest is not None and latest.size == 45


def test_serve_tick_logs_the_alarm_without_signing(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    rt = runtime
    add_events(rt, 5)
    checkpoints.seal_and_checkpoint(rt)
    drop_triggers(rt, "ledger_checkpoints")
    dba(rt, "DELETE FROM ledger_checkpoints")
    with caplog.at_level(logging.ERROR, logger="sunlight.ledger"):
        checkpoints.seal_tick(rt)  # does not raise: the serve loop keeps running
    assert any("ROLLBACK" in r.getMessage() for r in caplog.records)
    with rt.db.session() as session:
        assert stored_log.latest_checkpoint(session) is None


# -- keys -------------------------------------------------------------------------------


def test_second_host_never_creates_a_key_for_an_existing_log(
    runtime: Runtime, host2: Runtime
) -> None:
    add_events(runtime, 4)
    checkpoints.seal_and_checkpoint(runtime)
    key_file = ledger_settings(host2.settings).key_file
    ident = log_identity.identity(runtime)

    add_events(host2, 2, start_at=4)
    with pytest.raises(errors.KeyRefused) as refused:
        checkpoints.seal_and_checkpoint(host2)
    message = str(refused.value)
    vkey_id = ident.verifier_key.split("+")[1]
    assert str(key_file) in message and vkey_id in message and "Install" in message
    with pytest.raises(errors.KeyRefused):
        log_identity.init_key(host2)
    assert not key_file.exists()

    # Installing the log's key file is not enough: the host must be shown the published
    # checkpoint before it signs (it cannot tell itself from a restored copy).
    key_file.parent.mkdir(parents=True)
    shutil.copy(ledger_settings(runtime.settings).key_file, key_file)
    with pytest.raises(errors.SigningRefused, match="restore-check"):
        checkpoints.issue_checkpoint(host2)
    with runtime.db.session() as session:
        published = stored_log.latest_checkpoint(session)
    assert published is not None
    assert restore.restore_check(host2, published.note).ok
    assert checkpoints.seal_and_checkpoint(host2).size == 6
    assert checkpoints.seal_and_checkpoint(runtime).size == 6  # the first host goes on too
    assert run_audit(runtime, objects=False).ok


def test_a_different_key_file_is_refused(runtime: Runtime, host2: Runtime) -> None:
    add_events(runtime, 3)
    checkpoints.seal_and_checkpoint(runtime)
    # host2 holds some other key (e.g. generated by an older version on first use).
    from sunlight.ledger.config import write_secret
    from sunlight.ledger.verify import generate_signer

    other, other_vkey = generate_signer(log_identity.identity(runtime).origin)
    key_file = ledger_settings(host2.settings).key_file
    write_secret(key_file, other + "\n")
    with pytest.raises(errors.KeyRefused, match=other_vkey.split("+")[1]):
        checkpoints.issue_checkpoint(host2)


def test_read_only_paths_create_no_key(runtime: Runtime, host2: Runtime) -> None:
    ids = add_events(runtime, 5)
    checkpoints.seal_and_checkpoint(runtime)
    key_file = ledger_settings(host2.settings).key_file

    # The audit on a fresh host: one clear finding, not one false finding per checkpoint.
    report = run_audit(host2, objects=False)
    assert [f.kind for f in report.findings] == ["checkpoint"]
    assert "no log key" in report.findings[0].detail
    with pytest.raises(errors.NoLogKey):
        log_identity.identity(host2)
    with host2.db.session() as session, pytest.raises(errors.NoLogKey):
        proofs.event_bundle(host2, session, ids[0])
    assert not key_file.exists()

    # An audit-only host pins the public key instead: a full, clean audit, still no key.
    vkey = log_identity.identity(runtime).verifier_key
    audit_host = host2.settings.with_overrides(extra={"ledger": {"verifier_key": vkey}})
    checker = start(audit_host, migrate=False)
    try:
        report = run_audit(checker, objects=False)
        assert report.ok, report.findings
        assert report.checkpoints_checked == 1
    finally:
        checker.close()
    assert not key_file.exists()


def test_cli_read_only_commands_create_no_key(tmp_path: Path, embedded_runtime: Runtime) -> None:
    rt = embedded_runtime
    add_events(rt, 3)
    checkpoints.seal_and_checkpoint(rt)
    home = tmp_path / "fresh"
    env = {
        "SUNLIGHT_HOME": str(home),
        "SUNLIGHT_DATABASE_URL": rt.settings.database_url,
        "SUNLIGHT_WORKER_MODE": "eager",
    }
    runner = CliRunner()
    result = runner.invoke(cli, ["audit", "--no-objects"], env=env)
    assert result.exit_code == 1 and "no log key" in result.output
    assert "signing: refused" in result.output
    result = runner.invoke(cli, ["ledger", "key"], env=env)
    assert result.exit_code == 1 and "no log key" in result.output
    result = runner.invoke(cli, ["ledger", "seal"], env=env)
    assert result.exit_code == 1 and "Install that log's key file" in result.output
    result = runner.invoke(cli, ["ledger", "init-key"], env=env)
    assert result.exit_code == 1
    assert not (home / "keys" / "ledger.key").exists()

    # Set up as docs/backup.md says: install the key, confirm against the public log.
    (home / "keys").mkdir(parents=True)
    shutil.copy(ledger_settings(rt.settings).key_file, home / "keys" / "ledger.key")
    result = runner.invoke(cli, ["ledger", "status", "--json"], env=env)
    assert result.exit_code == 1, result.output
    status = json.loads(result.output)
    assert status["latest_checkpoint"] == 3 and "restore-check" in status["signing"]
    with live_server(rt) as url:
        result = runner.invoke(cli, ["ledger", "restore-check", url], env=env)
    assert result.exit_code == 0 and "signing is allowed" in result.output, result.output
    result = runner.invoke(cli, ["ledger", "status"], env=env)
    assert result.exit_code == 0 and "signing: allowed" in result.output, result.output
    result = runner.invoke(cli, ["ledger", "seal"], env=env)
    assert result.exit_code == 0, result.output


def test_init_key_on_an_empty_log(embedded_runtime: Runtime) -> None:
    rt = embedded_runtime
    key_file = ledger_settings(rt.settings).key_file
    assert not key_file.exists()
    ident, created = log_identity.init_key(rt)
    assert created and key_file.exists()
    again, created = log_identity.init_key(rt)
    assert not created and again.verifier_key == ident.verifier_key


# -- cosignatures -----------------------------------------------------------------------


def witnessed(rt: Runtime, state: Path) -> str:
    """A witness added and cosigning two checkpoints (stored as the API would)."""
    vkey = w.init(state, "news.example/witness")
    witness_trust.add_witness(rt, vkey, actor="test")
    skey = (state / w.KEY_FILE).read_text().strip()
    for n in range(2):
        add_events(rt, 3, start_at=10 * n)
        cp = checkpoints.seal_and_checkpoint(rt)
        text = cp.note[: cp.note.rfind("\n\n") + 1]
        cosign.add_cosignature(rt, text, cosign_checkpoint(text, skey, 1000 + n))
    checkpoints.issue_checkpoint(rt)  # folds the cosignatures into the checkpoint file
    assert run_audit(rt, objects=False).ok
    return skey


def test_changed_cosignature_is_found(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    skey = witnessed(rt, tmp_path / "witness")
    drop_triggers(rt, "ledger_cosignatures")
    with rt.db.session() as session:
        first = stored_log.latest_checkpoint(session)
        assert first is not None
        text = first.note[: first.note.rfind("\n\n") + 1]
    # A valid cosignature, but over another time than the one received.
    other = cosign_checkpoint(text, skey, 5).replace("'", "''")
    dba(rt, f"UPDATE ledger_cosignatures SET signature_line = '{other}' WHERE id = 1")
    found = run_audit(rt, objects=False).findings
    assert any(f.kind == "cosignature" and "does not verify" in f.detail for f in found), found
    assert any(f.kind == "cosignature" and "changed" in f.detail for f in found), found


def test_deleted_cosignature_is_found(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    witnessed(rt, tmp_path / "witness")
    drop_triggers(rt, "ledger_cosignatures")
    dba(rt, "DELETE FROM ledger_cosignatures WHERE id = 1")
    found = run_audit(rt, objects=False).findings
    assert [f.kind for f in found] == ["cosignature"]
    assert "1 of the 2 witness cosignatures" in found[0].detail


def test_forged_timestamp_column_is_found(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    witnessed(rt, tmp_path / "witness")
    drop_triggers(rt, "ledger_cosignatures")
    dba(rt, "UPDATE ledger_cosignatures SET timestamp = 7 WHERE id = 2")
    found = run_audit(rt, objects=False).findings
    assert any(f.kind == "cosignature" and "stored time 7" in f.detail for f in found), found


# -- backup and restore ------------------------------------------------------------------


def backup(rt: Runtime, dest: Path) -> Path:
    """Back up as docs/operators.md says: the database (SQLite online backup), then the
    objects, then the keys folder (key and checkpoint file)."""
    dest.mkdir(parents=True)
    source = sqlite3.connect(str(rt.settings.home / "sunlight.db"))
    target = sqlite3.connect(str(dest / "sunlight.db"))
    with target:
        source.backup(target)
    source.close()
    target.close()
    shutil.copytree(rt.settings.home / "objects", dest / "objects")
    shutil.copytree(rt.settings.home / "keys", dest / "keys")
    return dest


def restored(backup_dir: Path, home: Path) -> Runtime:
    shutil.copytree(backup_dir, home)
    settings = load_settings({"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"})
    return start(settings, migrate=False)


def test_restored_backup_refuses_to_sign_until_shown_the_published_checkpoint(
    embedded_runtime: Runtime, tmp_path: Path
) -> None:
    live = embedded_runtime
    add_events(live, 10)
    checkpoints.seal_and_checkpoint(live)
    early = backup(live, tmp_path / "backup-1")
    add_events(live, 5, start_at=10)  # the live log goes on after the backup
    published = checkpoints.seal_and_checkpoint(live).note
    assert published.splitlines()[1] == "15"
    (tmp_path / "latest.checkpoint").write_text(published)

    copy = restored(early, tmp_path / "restore-1")
    try:
        add_events(copy, 2, start_at=50)
        with pytest.raises(errors.SigningRefused, match="copy") as refused:
            checkpoints.seal_and_checkpoint(copy)
        assert "restore-check" in str(refused.value)
        # Shown the latest checkpoint, it still refuses: it lacks entries 10..14.
        check = restore.restore_check(copy, published)
        assert not check.ok and "lacks entries 10..14" in check.message
        with pytest.raises(errors.SigningRefused):
            checkpoints.issue_checkpoint(copy)
        with copy.db.session() as session:
            latest = stored_log.latest_checkpoint(session)
        assert latest is not None and latest.size == 10  # nothing signed: no fork
    finally:
        copy.close()

    # A backup taken now holds the published checkpoint: after restore-check it signs.
    late = backup(live, tmp_path / "backup-2")
    copy = restored(late, tmp_path / "restore-2")
    try:
        with pytest.raises(errors.SigningRefused):
            checkpoints.issue_checkpoint(copy)
        env = {"SUNLIGHT_HOME": str(tmp_path / "restore-2"), "SUNLIGHT_WORKER_MODE": "eager"}
        runner = CliRunner()
        latest_file = str(tmp_path / "latest.checkpoint")
        result = runner.invoke(cli, ["ledger", "restore-check", latest_file, "--drill"], env=env)
        assert result.exit_code == 0 and "drill" in result.output, result.output
        with pytest.raises(errors.SigningRefused):  # a drill changes nothing
            checkpoints.issue_checkpoint(copy)
        result = runner.invoke(cli, ["ledger", "restore-check", latest_file], env=env)
        assert result.exit_code == 0 and "signing is allowed" in result.output, result.output
        add_events(copy, 2, start_at=60)
        assert checkpoints.seal_and_checkpoint(copy).size == 17
        assert run_audit(copy, objects=False).ok
    finally:
        copy.close()


def test_drill_mode_never_signs(embedded_runtime: Runtime, tmp_path: Path) -> None:
    live = embedded_runtime
    add_events(live, 4)
    checkpoints.seal_and_checkpoint(live)
    copy_home = tmp_path / "drill"
    backup(live, tmp_path / "b")
    shutil.copytree(tmp_path / "b", copy_home)
    settings = load_settings({"SUNLIGHT_HOME": str(copy_home)}).with_overrides(
        extra={"ledger": {"drill": "1"}}
    )
    drill = start(settings, migrate=False)
    try:
        add_events(drill, 3, start_at=4)
        checkpoints.seal_tick(drill)  # seals quietly, signs nothing
        with drill.db.session() as session:
            assert stored_log.ledger_size(session) == 7
            latest = stored_log.latest_checkpoint(session)
        assert latest is not None and latest.size == 4
        with pytest.raises(errors.SigningRefused, match="drill"):
            checkpoints.issue_checkpoint(drill)
        assert integrity.signing_state(drill) == "refused: drill mode (SUNLIGHT_LEDGER_DRILL)"
    finally:
        drill.close()


def test_checkpoint_file_is_durable_and_only_moves_forward(
    embedded_runtime: Runtime,
) -> None:
    rt = embedded_runtime
    add_events(rt, 3)
    first = checkpoints.seal_and_checkpoint(rt)
    add_events(rt, 3, start_at=3)
    second = checkpoints.seal_and_checkpoint(rt)
    path = ledger_settings(rt.settings).state_file
    assert path.parent == ledger_settings(rt.settings).key_file.parent
    assert (path.stat().st_mode & 0o777) == 0o600
    doc = json.loads(path.read_text())
    assert doc["note"] == second.note and doc["inode"] == path.stat().st_ino
    assert not log_state.write_state(path, first.note, log_state.CosignatureChain())
    state = log_state.read_state(path)
    assert state is not None and state.checkpoint.size == 6 and not state.is_copy
    assert not list(path.parent.glob(".*.tmp"))


def test_log_key_endpoint_never_creates_nor_serves_a_wrong_key(
    runtime: Runtime, host2: Runtime
) -> None:
    from fastapi.testclient import TestClient

    from sunlight.ledger.config import write_secret
    from sunlight.ledger.verify import generate_signer
    from sunlight.web.app import create_app

    add_events(runtime, 3)
    checkpoints.seal_and_checkpoint(runtime)
    key_file = ledger_settings(host2.settings).key_file
    with TestClient(create_app(host2, start_worker=False)) as client:
        response = client.get("/log/key")
        assert response.status_code == 404 and "no log key" in response.text
        assert client.get("/log/checkpoint").status_code == 200
        assert client.get("/log").status_code == 200
        assert not key_file.exists()
        other, _ = generate_signer(log_identity.identity(runtime).origin)
        write_secret(key_file, other + "\n")
        response = client.get("/log/key")
        assert response.status_code == 503 and "did not sign" in response.text
    with TestClient(create_app(runtime, start_worker=False)) as client:
        response = client.get("/log/key")
        assert response.status_code == 200
        assert response.text.strip() == log_identity.identity(runtime).verifier_key


def test_restore_check_takes_only_this_logs_checkpoints(
    embedded_runtime: Runtime, tmp_path: Path
) -> None:
    from sunlight.ledger.verify import Checkpoint, generate_signer, sign_note

    rt = embedded_runtime
    add_events(rt, 4)
    cp = checkpoints.seal_and_checkpoint(rt)
    ident = log_identity.identity(rt)
    rogue, _ = generate_signer(ident.origin)
    forged = sign_note(Checkpoint(ident.origin, 99, b"\x01" * 32).format_checkpoint(), rogue)
    with pytest.raises(errors.Rejected, match="not a checkpoint signed by this log"):
        restore.restore_check(rt, forged)
    # As served by /log/checkpoint, with a witness's cosignature line appended: accepted,
    # and the file keeps only the log's own signature.
    state = tmp_path / "witness"
    skey = w.init(state, "news.example/witness")
    text = cp.note[: cp.note.rfind("\n\n") + 1]
    wskey = (state / w.KEY_FILE).read_text().strip()
    assert skey
    served = cp.note + cosign_checkpoint(text, wskey, 7)
    assert restore.restore_check(rt, served).ok
    saved = log_state.read_state(ledger_settings(rt.settings).state_file)
    assert saved is not None and saved.note == cp.note and not saved.is_copy

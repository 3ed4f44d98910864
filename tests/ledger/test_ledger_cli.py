"""The ledger from the command line: seal, witness, verify (local, remote, bundle), audit."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from tests.conftest import embedded_settings
from tests.support.server import live_server

from sunlight.cli.main import cli
from sunlight.evidence.ingest import IngestMetadata, ingest_file
from sunlight.ledger.bundle import check_bundle
from sunlight.ledger.verify import VerificationError
from sunlight.media.synth import make_clip
from sunlight.runtime import Runtime, start


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    return {"SUNLIGHT_HOME": str(home), "SUNLIGHT_WORKER_MODE": "eager"}


@pytest.fixture
def rt(home: Path) -> Iterator[Runtime]:
    runtime = start(embedded_settings(home))
    yield runtime
    runtime.close()


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def clip(rt: Runtime, tmp_path: Path) -> tuple[int, Path]:
    path = tmp_path / "stop.mp4"
    make_clip(path, seconds=1.0, width=160, height=120, fps=10, seed=11)
    result = ingest_file(
        rt, path, IngestMetadata(original_filename=path.name), actor="test:clerk", source="cli"
    )
    return result.recording_id, path


@pytest.fixture
def witnessed(
    env: dict[str, str], rt: Runtime, clip: tuple[int, Path], tmp_path: Path
) -> Iterator[tuple[str, str, Path]]:
    """A sealed, witnessed log served over HTTP: (url, log key, witness state)."""
    state = tmp_path / "witness"
    code, out = run(env, "witness", "init", "--name", "kc.example/witness", "--state", str(state))
    assert code == 0, out
    wkey = out.splitlines()[0]
    assert stat.S_IMODE(os.stat(state / "witness.key").st_mode) == 0o600
    assert run(env, "ledger", "add-witness", wkey)[0] == 0
    code, out = run(env, "ledger", "seal", "--json")
    assert code == 0, out
    code, log_key = run(env, "ledger", "key")
    log_key = log_key.strip()
    with live_server(rt) as url:
        code, out = run(
            env,
            "witness",
            "run",
            "--log",
            url,
            "--log-key",
            log_key,
            "--state",
            str(state),
            "--submit",
        )
        assert code == 0, out
        assert "submitted" in out
        yield url, log_key, state


def _wkey(state: Path) -> str:
    return (state / "witness.vkey").read_text().strip()


def test_verify_a_file_locally_remotely_and_by_bundle(
    env: dict[str, str], clip: tuple[int, Path], witnessed: tuple[str, str, Path], tmp_path: Path
) -> None:
    recording_id, path = clip
    url, log_key, state = witnessed
    pins = ["--log-key", log_key, "--witness-key", _wkey(state)]
    sha = hashlib.sha256(path.read_bytes()).hexdigest()

    code, out = run(env, "verify", str(path), "--json")
    assert code == 0, out
    local = json.loads(out)
    assert local["ok"] and local["entry"]["hashes"]["sha256"] == sha
    assert local["entry"]["action"] == "ingest"
    assert local["witnesses"] == ["kc.example/witness"]

    code, out = run(env, "verify", str(path), "--log", url, *pins, "--json")
    assert code == 0, out
    assert json.loads(out)["leaf_index"] == local["leaf_index"]
    assert json.loads(out)["witnesses"] == ["kc.example/witness"]

    unknown = tmp_path / "unknown.mp4"
    unknown.write_bytes(b"not evidence")
    assert run(env, "verify", str(unknown))[0] == 1
    code, out = run(env, "verify", str(unknown), "--log", url, *pins, "--json")
    assert code == 1 and json.loads(out)["ok"] is False

    code, out = run(env, "ledger", "export-proof", str(recording_id))
    assert code == 0, out
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(out)
    code, out = run(env, "verify", "--bundle", str(bundle_path), *pins)
    assert code == 0, out
    assert "OK: ingest of recording" in out and "WARNING" not in out
    assert run(env, "verify", str(path), "--bundle", str(bundle_path), *pins)[0] == 0
    assert run(env, "verify", str(unknown), "--bundle", str(bundle_path), *pins)[0] == 1
    wrong_key = log_key[:-3] + ("AAA" if not log_key.endswith("AAA") else "BBB")
    code, out = run(env, "verify", "--bundle", str(bundle_path), "--log-key", wrong_key, *pins[2:])
    assert code == 1, out

    bundle = json.loads(bundle_path.read_text())
    tampered = copy.deepcopy(bundle)
    tampered["leaf"]["entry"] = tampered["leaf"]["entry"].replace('"ingest"', '"view"')
    bundle_path.write_text(json.dumps(tampered))
    code, out = run(env, "verify", "--bundle", str(bundle_path), *pins, "--json")
    assert code == 1 and "leaf hash" in json.loads(out)["error"]


def test_verify_trusts_only_pinned_keys(
    env: dict[str, str], clip: tuple[int, Path], witnessed: tuple[str, str, Path], tmp_path: Path
) -> None:
    """Without pins, --bundle and --log exit non-zero and say which key to pin and where;
    a rogue bundle (its own log key, its own witness, quorum 0) is refused."""
    from sunlight.ledger.verify import (
        Checkpoint,
        cosign_checkpoint,
        generate_signer,
        generate_witness_signer,
        open_checkpoint,
        sign_note,
    )

    recording_id, path = clip
    url, log_key, state = witnessed
    wkey = _wkey(state)
    code, out = run(env, "ledger", "export-proof", str(recording_id))
    assert code == 0, out
    genuine = json.loads(out)
    bundle_path = tmp_path / "bundle.json"
    bundle_path.write_text(out)

    # Nothing pinned: refused, naming the flag and where the key is published.
    code, out = run(env, "verify", "--bundle", str(bundle_path), "--json")
    error = json.loads(out)["error"]
    assert code == 1 and "no log key pinned" in error and "/log/key" in error
    code, out = run(env, "verify", str(path), "--log", url, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and f"{url}/log/key" in error
    # The log key alone: the witness quorum still needs pinned witness keys.
    code, out = run(env, "verify", "--bundle", str(bundle_path), "--log-key", log_key, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and "--witness-key" in error and "/log/witnesses" in error
    code, out = run(env, "verify", str(path), "--log", url, "--log-key", log_key, "--json")
    error = json.loads(out)["error"]
    assert code == 1 and f"{url}/log/witnesses" in error
    # Keys pinned from files work too.
    (tmp_path / "log.vkey").write_text(log_key + "\n")
    (tmp_path / "w.vkey").write_text(wkey + "\n")
    pins = ["--log-key", str(tmp_path / "log.vkey"), "--witness-key", str(tmp_path / "w.vkey")]
    code, out = run(env, "verify", "--bundle", str(bundle_path), *pins)
    assert code == 0, out
    code, out = run(env, "verify", str(path), "--log", url, *pins)
    assert code == 0, out

    # A rogue log re-signs the same entry under its own key, with its own witness and
    # quorum 0: with the genuine keys pinned it fails; nothing in the bundle lowers them.
    origin = genuine["log"]["origin"]
    rogue_skey, rogue_vkey = generate_signer(origin)
    rogue_wskey, rogue_wvkey = generate_witness_signer("kc.example/witness")
    cp, _ = open_checkpoint(genuine["checkpoint"], log_key, [wkey], origin=origin)
    text = Checkpoint(origin, cp.size, cp.root_hash).format_checkpoint()
    rogue = copy.deepcopy(genuine)
    rogue["log"] = {"origin": origin, "key": rogue_vkey, "witnesses": [rogue_wvkey], "quorum": 0}
    rogue["checkpoint"] = sign_note(text, rogue_skey) + cosign_checkpoint(text, rogue_wskey, 1)
    rogue_path = tmp_path / "rogue.json"
    rogue_path.write_text(json.dumps(rogue))
    code, out = run(env, "verify", "--bundle", str(rogue_path), "--json")
    assert code == 1 and "no log key pinned" in json.loads(out)["error"]
    code, out = run(env, "verify", "--bundle", str(rogue_path), *pins, "--json")
    assert code == 1 and "no verified signature" in json.loads(out)["error"]
    # The rogue's witness key pinned by mistake beside the genuine log key: still refused.
    code, out = run(
        env,
        "verify",
        "--bundle",
        str(rogue_path),
        "--log-key",
        log_key,
        "--witness-key",
        rogue_wvkey,
        "--json",
    )
    assert code == 1, out
    # A genuine checkpoint whose bundle claims quorum 0 and drops the cosignature: the
    # pinned (default) quorum of 1 still applies.
    lowered = copy.deepcopy(genuine)
    lowered["log"]["quorum"] = 0
    lowered["checkpoint"] = "".join(genuine["checkpoint"].splitlines(keepends=True)[:-1])
    lowered_path = tmp_path / "lowered.json"
    lowered_path.write_text(json.dumps(lowered))
    code, out = run(env, "verify", "--bundle", str(lowered_path), *pins, "--json")
    assert code == 1 and "1 needed" in json.loads(out)["error"]
    # Only the loudly named testing flag accepts the bundle's own keys, and it says so.
    code, out = run(env, "verify", "--bundle", str(rogue_path), "--insecure-trust-bundle-keys")
    assert code == 0 and "WARNING (--insecure-trust-bundle-keys)" in out


def _mutations(bundle: dict[str, Any]) -> Iterator[tuple[str, Callable[[dict[str, Any]], None]]]:
    def flip_hex(value: str) -> str:
        return ("1" if value[0] != "1" else "2") + value[1:]

    yield "entry", lambda b: b["leaf"].update(entry=b["leaf"]["entry"][:-2] + " }")
    yield "index", lambda b: b["leaf"].update(index=b["leaf"]["index"] + 1)
    yield "leaf hash", lambda b: b["leaf"].update(hash=flip_hex(b["leaf"]["hash"]))
    yield "size", lambda b: b["inclusion"].update(size=b["inclusion"]["size"] + 1)
    yield "salt", lambda b: b["disclosure"].update(salt=flip_hex(b["disclosure"]["salt"]))
    yield (
        "private",
        lambda b: b["disclosure"].update(
            private=b["disclosure"]["private"].replace("stop.mp4", "stap.mp4")
        ),
    )
    yield "checkpoint root", lambda b: b.update(checkpoint=b["checkpoint"].replace("\n", "\nX", 1))
    yield (
        "cosignature dropped",
        lambda b: b.update(checkpoint="".join(b["checkpoint"].splitlines(keepends=True)[:-1])),
    )
    yield "origin", lambda b: b["log"].update(origin="other.example/log")
    yield "format", lambda b: b.update(format="something-else")
    if bundle["inclusion"]["proof"]:
        yield (
            "proof",
            lambda b: b["inclusion"].update(
                proof=[flip_hex(b["inclusion"]["proof"][0]), *b["inclusion"]["proof"][1:]]
            ),
        )
    else:
        yield "proof", lambda b: b["inclusion"].update(proof=["00" * 32])


def test_any_change_to_a_bundle_fails(
    env: dict[str, str], clip: tuple[int, Path], witnessed: tuple[str, str, Path]
) -> None:
    recording_id, _ = clip
    code, out = run(env, "ledger", "export-proof", str(recording_id))
    assert code == 0, out
    bundle = json.loads(out)
    _, log_key, state = witnessed
    pins = {"log_key": log_key, "witness_keys": [_wkey(state)]}
    check_bundle(bundle, **pins)  # type: ignore[arg-type]
    for name, mutate in _mutations(bundle):
        broken = copy.deepcopy(bundle)
        mutate(broken)
        with pytest.raises(VerificationError):  # noqa: PT012
            check_bundle(broken, **pins)  # type: ignore[arg-type]
            pytest.fail(f"mutation {name!r} was not detected")


def test_audit_command_exit_codes(env: dict[str, str], rt: Runtime, clip: tuple[int, Path]) -> None:
    assert run(env, "ledger", "seal")[0] == 0
    code, out = run(env, "audit", "--json")
    assert code == 0, out
    assert json.loads(out)["ok"] is True
    _, path = clip
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    stored = rt.store.local_path(sha)
    assert stored is not None
    os.chmod(stored, os.stat(stored).st_mode | stat.S_IWUSR)
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0x80
    stored.write_bytes(bytes(data))
    code, out = run(env, "audit")
    assert code == 1
    assert "FINDING object" in out and sha in out


def test_witness_command_refuses_a_fork_loudly(
    env: dict[str, str], rt: Runtime, witnessed: tuple[str, str, Path]
) -> None:
    from sunlight.ledger import log_identity
    from sunlight.ledger.verify import Checkpoint, sign_note

    url, log_key, state = witnessed
    saved = next((state / "logs").glob("*/checkpoint"))
    size = int(saved.read_text().splitlines()[1])
    # The witness once saw a checkpoint of this size with another root, signed by the log.
    ident = log_identity.identity(rt)
    saved.write_text(
        sign_note(
            Checkpoint(ident.origin, size, b"\x99" * 32).format_checkpoint(), ident.signer_key
        )
    )
    code, out = run(
        env, "witness", "run", "--log", url, "--log-key", log_key, "--state", str(state)
    )
    assert code == 2
    assert "FORK" in out and "REFUSING TO COSIGN" in out
    assert len(list((state / "evidence").glob("*-fork"))) == 1


def test_sealer_thread_seals_and_signs(rt: Runtime) -> None:
    from tests.ledger.conftest import add_events

    from sunlight.ledger import checkpoints, stored_log

    add_events(rt, 3)
    from sunlight.jobs.schedule import Periodic

    sealer = Periodic("ledger", 0.05, lambda: checkpoints.seal_and_checkpoint(rt))
    sealer.start()
    try:
        import time

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with rt.db.session() as session:
                latest = stored_log.latest_checkpoint(session)
            if latest is not None and latest.size == 3:
                break
            time.sleep(0.05)
    finally:
        sealer.stop()
    assert latest is not None and latest.size == 3


def test_verify_needs_a_witnessed_checkpoint_unless_told_otherwise(
    env: dict[str, str], clip: tuple[int, Path]
) -> None:
    _, path = clip
    code, out = run(env, "verify", str(path), "--json")
    assert code == 1 and "not sealed" in json.loads(out)["error"]
    assert run(env, "ledger", "seal")[0] == 0
    code, out = run(env, "verify", str(path), "--json")
    assert code == 1 and "witness cosignatures" in json.loads(out)["error"]
    code, out = run(env, "verify", str(path), "--min-witnesses", "0")
    assert code == 0, out
    assert "no witness" in out

"""The stand-alone verifier, as a resident would use it: its wheel built and installed in a
clean virtual environment (no Sunlight, only ``cryptography``), run against a live server
holding a released recording, with the log's key pinned. A tampered byte fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sunlight.access import Principal
from sunlight.evidence.models import Recording
from sunlight.ledger import log_identity, witness_trust
from sunlight.ledger.verify import generate_signer
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support.server import live_server
from tests.verify_pkg.support import released_copy

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        pytest.fail("uv is not on PATH (CI installs it first)")
    return uv


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``bin/`` of a fresh venv holding only the sunlight-verify wheel and its dependency."""
    tmp = tmp_path_factory.mktemp("verify-wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT")}
    uv = _uv()
    subprocess.run(
        [uv, "build", "--wheel", str(ROOT / "packages" / "sunlight-verify"), "-o", str(tmp)],
        check=True,
        capture_output=True,
        env=env,
        cwd=tmp,
    )
    wheels = list(tmp.glob("sunlight_verify-*.whl"))
    assert len(wheels) == 1
    venv = tmp / "venv"
    subprocess.run([uv, "venv", "-q", str(venv)], check=True, env=env, cwd=tmp)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", str(python), str(wheels[0])],
        check=True,
        env=env,
        cwd=tmp,
    )
    # Nothing of Sunlight in it: only the verifier and cryptography's own dependencies.
    listed = subprocess.run(
        [uv, "pip", "list", "--python", str(python), "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=tmp,
    )
    names = {p["name"] for p in json.loads(listed.stdout)}
    assert "sunlight-verify" in names and "cryptography" in names
    assert names <= {"sunlight-verify", "cryptography", "cffi", "pycparser", "typing-extensions"}
    return venv / "bin"


def _run(bin_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A clean environment: the installed command must not reach the project's code.
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [str(bin_dir / "sunlight-verify"), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        cwd=bin_dir,
        timeout=120,
    )


def _file(runtime: Runtime, recording_id: int, path: Path) -> Path:
    with runtime.db.session(read_only=True) as session:
        recording = session.get(Recording, recording_id)
        assert recording is not None
        sha = recording.sha256
    runtime.store.fetch_to(sha, path)
    return path


def test_the_installed_wheel_verifies_a_release_against_a_live_server(
    runtime: Runtime, verifier: Path, tmp_path: Path
) -> None:
    release_id, derived_id, original_id = released_copy(runtime)
    log_key = log_identity.identity(runtime).verifier_key
    key_file = tmp_path / "log.vkey"
    key_file.write_text(log_key + "\n", encoding="utf-8")
    video = _file(runtime, derived_id, tmp_path / "released.mp4")
    original = _file(runtime, original_id, tmp_path / "original.mp4")
    state = tmp_path / "witness"

    with live_server(runtime) as url:
        # An outside witness, from the same wheel, cosigns the log's checkpoint.
        made = _run(
            verifier, "witness", "init", "--name", "paper.example/witness", "--state", str(state)
        )
        assert made.returncode == 0, made.stderr
        wkey = made.stdout.strip()
        witness_trust.add_witness(runtime, wkey, actor=Principal.cli().id)
        cosigned = _run(
            verifier,
            "witness",
            "run",
            "--log",
            url,
            "--log-key",
            log_key,
            "--state",
            str(state),
            "--submit",
            "--json",
        )
        assert cosigned.returncode == 0, cosigned.stderr
        assert json.loads(cosigned.stdout)["submitted"] is True
        pins = ["--log-key", str(key_file), "--witness-key", wkey]

        # The released file, against the public log: its ingest is in a witnessed checkpoint.
        ok = _run(verifier, "verify", str(video), "--log", url, *pins, "--json")
        assert ok.returncode == 0, ok.stdout + ok.stderr
        report = json.loads(ok.stdout)
        assert report["ok"] is True
        assert report["entry"]["object"] == {"type": "recording", "id": str(derived_id)}
        assert report["witnesses"] == ["paper.example/witness"]

        # The public release proof, fetched and checked, with the file.
        proof = _run(
            verifier, "verify", str(video), "--release", str(release_id), "--log", url, *pins
        )
        assert proof.returncode == 0, proof.stdout + proof.stderr
        assert f"OK: release {release_id}" in proof.stdout
        assert "is the released copy" in proof.stdout
        assert (
            _run(
                verifier, "verify", str(original), "--release", str(release_id), "--log", url, *pins
            ).returncode
            == 0
        )

        # The release proof alone (no file): both ingests are proven.
        fetched = _run(
            verifier, "verify", "--release", str(release_id), "--log", url, *pins, "--json"
        )
        assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    with TestClient(create_app(runtime, start_worker=False)) as client:
        document = client.get(f"/api/public/releases/{release_id}/proof").json()
    # The same proof saved and checked offline, after the server is gone.
    bundle = tmp_path / "proof.json"
    bundle.write_text(json.dumps(document), encoding="utf-8")
    offline = _run(verifier, "verify", str(video), "--bundle", str(bundle), *pins)
    assert offline.returncode == 0, offline.stdout + offline.stderr

    # A tampered byte of the video: its SHA-256 is in no proof.
    data = bytearray(video.read_bytes())
    data[len(data) // 2] ^= 0x01
    forged = tmp_path / "forged.mp4"
    forged.write_bytes(bytes(data))
    failed = _run(verifier, "verify", str(forged), "--bundle", str(bundle), *pins)
    assert failed.returncode == 1
    assert "FAILED" in failed.stderr

    # A tampered byte of the proof: the entry no longer hashes to its leaf.
    saved = json.loads(json.dumps(document))
    entry = document["released"]["leaf"]["entry"]
    document["released"]["leaf"]["entry"] = entry.replace('"ingest"', '"ingesT"')
    bundle.write_text(json.dumps(document), encoding="utf-8")
    failed = _run(verifier, "verify", str(video), "--bundle", str(bundle), *pins)
    assert failed.returncode == 1
    assert "FAILED" in failed.stderr and "leaf hash" in failed.stderr

    # A wrong pinned key (same log name, another key) fails, and so does no key at all.
    bundle.write_text(json.dumps(saved), encoding="utf-8")
    _, impostor = generate_signer(log_key.split("+", 1)[0])
    wrong = _run(
        verifier,
        "verify",
        str(video),
        "--bundle",
        str(bundle),
        "--log-key",
        impostor,
        "--min-witnesses",
        "0",
    )
    assert wrong.returncode == 1, wrong.stdout
    none = _run(verifier, "verify", str(video), "--bundle", str(bundle))
    assert none.returncode == 1
    assert "no log key pinned" in none.stderr

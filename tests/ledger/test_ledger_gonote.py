"""Cross-check of our signed notes against Go's golang.org/x/mod/sumdb/note.

The Go program in gonote/check.go is built offline in GOPATH mode against the Debian
packages ``golang-go`` and ``golang-golang-x-mod-dev`` (module source under
/usr/share/gocode/src). Without them the tests skip locally and fail when CI=true.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest

from sunlight.ledger.verify import (
    Checkpoint,
    VerificationError,
    cosign_checkpoint,
    generate_signer,
    generate_witness_signer,
    open_note,
    sign_note,
)

GO_PROGRAM_DIR = Path(__file__).resolve().parent / "gonote"
DEBIAN_GOPATH = Path("/usr/share/gocode")
NOTE_PACKAGE = DEBIAN_GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb" / "note"


@pytest.fixture(scope="module")
def go_checker(tmp_path_factory: pytest.TempPathFactory) -> Path | str:
    """Build gonote/check.go once; return the binary, or a reason why it is unavailable."""
    go = shutil.which("go")
    if go is None:
        return "the go toolchain is not installed (apt-get install golang-go)"
    if not (NOTE_PACKAGE / "note.go").is_file():
        return (
            f"Go module source not found at {NOTE_PACKAGE}"
            " (apt-get install golang-golang-x-mod-dev)"
        )
    work = tmp_path_factory.mktemp("gonote")
    env = {
        **os.environ,
        # GOPATH mode: no go.mod and no module downloads, only the Debian source tree.
        "GO111MODULE": "off",
        "GOPATH": str(DEBIAN_GOPATH),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "GOCACHE": os.environ.get("GOCACHE") or str(work / "cache"),
    }
    binary = work / "check"
    result = subprocess.run(
        [go, "build", "-o", str(binary), "check.go"],
        cwd=GO_PROGRAM_DIR,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=240,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"building gonote/check.go failed:\n{result.stderr}")
    return binary


@pytest.fixture
def run_go(
    go_checker: Path | str, unavailable: Callable[[str], NoReturn]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    if isinstance(go_checker, str):
        unavailable(go_checker)
    binary = go_checker

    def run(request: dict[str, Any]) -> dict[str, Any]:
        result = subprocess.run(
            [str(binary)],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        response: dict[str, Any] = json.loads(result.stdout)
        return response

    return run


def _b64(note: bytes) -> str:
    return base64.b64encode(note).decode()


def _checkpoint_note(skey: str) -> str:
    checkpoint = Checkpoint(
        "sunlight.example/log", 1234567, bytes(range(32)), ("sunlight extension",)
    )
    return sign_note(checkpoint.format_checkpoint(), skey)


def test_go_opens_our_checkpoint(run_go: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    skey, vkey = generate_signer("sunlight.example/log")
    wskey, _ = generate_witness_signer("witness.example/w1")
    note = _checkpoint_note(skey)
    text = note.split("\n\n", 1)[0] + "\n"
    # With a witness cosignature appended: Go does not know that key and must ignore it.
    cosigned = note + cosign_checkpoint(text, wskey, 1700000000)
    response = run_go({"vkey": vkey, "notes": [_b64(note.encode()), _b64(cosigned.encode())]})
    assert response["results"] == [
        {"ok": True, "text": text, "error": ""},
        {"ok": True, "text": text, "error": ""},
    ]


def test_go_signs_exactly_like_us(run_go: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Go's note.NewSigner accepts our signer key and (Ed25519 being deterministic)
    produces a byte-identical note."""
    skey, vkey = generate_signer("sunlight.example/log")
    text = Checkpoint("sunlight.example/log", 5, bytes(32)).format_checkpoint()
    response = run_go({"vkey": vkey, "notes": [], "skey": skey, "text": text})
    assert response["signed"] == sign_note(text, skey)


def _lenient_payloads(note: bytes) -> list[bytes]:
    """Signature payloads decoded the way Go does (ignoring base64 padding bits)."""
    lines = note.decode("utf-8").split("\n\n")[-1].splitlines()
    return [base64.b64decode(line.rsplit(" ", 1)[-1], validate=True) for line in lines]


def test_go_rejects_every_single_byte_change(
    run_go: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    skey, vkey = generate_signer("sunlight.example/log")
    data = _checkpoint_note(skey).encode()
    mutants: list[bytes] = []
    for position in range(len(data)):
        for mask in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80):
            changed = bytearray(data)
            changed[position] ^= mask
            mutants.append(bytes(changed))
    response = run_go({"vkey": vkey, "notes": [_b64(m) for m in mutants]})
    assert len(response["results"]) == len(mutants)
    for mutant, result in zip(mutants, response["results"], strict=True):
        # We reject every change.
        with pytest.raises(VerificationError):
            open_note(mutant, [vkey])
        if result["ok"]:
            # Go's base64 decoder ignores the unused low bits of the last character, so
            # it may accept a change there: the decoded signature is then unchanged.
            # Nothing else may pass in Go.
            assert mutant.split(b"\n\n")[0] == data.split(b"\n\n")[0]
            assert _lenient_payloads(mutant) == _lenient_payloads(data), result

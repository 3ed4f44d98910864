"""The release proof check (``sunlight_verify.release``) on a real release, in-process, and
the ``sunlight-verify`` argument parser."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sunlight.evidence.models import Recording
from sunlight.ledger import log_identity
from sunlight.ledger.verify import VerificationError
from sunlight.release.proof import proof
from sunlight.runtime import Runtime
from sunlight_verify.cli import main
from sunlight_verify.release import check_release_proof
from tests.verify_pkg.support import released_copy


@pytest.fixture
def released(runtime: Runtime) -> tuple[dict[str, Any], str, str, str]:
    """(release proof, log key, released copy's SHA-256, original's SHA-256)."""
    release_id, derived_id, original_id = released_copy(runtime)
    with runtime.db.session(read_only=True) as session:
        derived = session.get(Recording, derived_id)
        original = session.get(Recording, original_id)
        assert derived is not None and original is not None
        shas = derived.sha256, original.sha256
    document = json.loads(json.dumps(proof(runtime, release_id), default=str))
    return document, log_identity.identity(runtime).verifier_key, *shas


def test_a_release_proof_verifies_and_names_the_file(
    released: tuple[dict[str, Any], str, str, str],
) -> None:
    document, key, derived_sha, original_sha = released
    report = check_release_proof(document, log_key=key, min_witnesses=0)
    assert report.released.entry["object"]["id"] == str(
        document["release"]["released_recording_id"]
    )
    assert report.original.entry["action"] == "ingest"
    assert report.file_is is None
    assert (
        check_release_proof(document, log_key=key, min_witnesses=0, file_sha256=derived_sha).file_is
        == "released"
    )
    assert (
        check_release_proof(
            document, log_key=key, min_witnesses=0, file_sha256=original_sha
        ).file_is
        == "original"
    )
    with pytest.raises(VerificationError, match="neither the released copy"):
        check_release_proof(document, log_key=key, min_witnesses=0, file_sha256="0" * 64)


def test_a_release_proof_with_swapped_or_renamed_parts_fails(
    released: tuple[dict[str, Any], str, str, str],
) -> None:
    document, key, _, _ = released
    swapped = copy.deepcopy(document)
    swapped["released"], swapped["original"] = swapped["original"], swapped["released"]
    with pytest.raises(VerificationError, match="not of recording"):
        check_release_proof(swapped, log_key=key, min_witnesses=0)
    renamed = copy.deepcopy(document)
    renamed["release"]["original_recording_id"] = 999
    with pytest.raises(VerificationError, match="the original bundle is the ingest of"):
        check_release_proof(renamed, log_key=key, min_witnesses=0)
    missing = {k: v for k, v in document.items() if k != "original"}
    with pytest.raises(VerificationError, match="not a release proof"):
        check_release_proof(missing, log_key=key, min_witnesses=0)
    with pytest.raises(VerificationError, match="no log key pinned"):
        check_release_proof(document, min_witnesses=0)
    # A signature byte changed: the checkpoint no longer verifies.
    forged = copy.deepcopy(document)
    note = forged["released"]["checkpoint"]
    cut = note.rindex(" ") + 5
    forged["released"]["checkpoint"] = (
        note[:cut] + ("A" if note[cut] != "A" else "B") + note[cut + 1 :]
    )
    with pytest.raises(VerificationError, match="released bundle"):
        check_release_proof(forged, log_key=key, min_witnesses=0)


def test_sunlight_verify_main_checks_a_saved_release_proof(
    released: tuple[dict[str, Any], str, str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document, key, _, _ = released
    path = tmp_path / "proof.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["verify", "--bundle", str(path), "--log-key", key, "--min-witnesses", "0"]) == 0
    assert "OK: release" in capsys.readouterr().out
    assert main(["verify", "--bundle", str(path), "--min-witnesses", "0", "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_the_parser_refuses_unusable_requests(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["verify"])
    assert exited.value.code == 2
    assert "give a FILE" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verify", "--release", "3"])
    assert "--release needs --log" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["verify", "/no/such/file"])
    with pytest.raises(SystemExit):
        main(["verify", "--bundle", "x.json", "--min-witnesses", "-1"])

"""`sunlight-verify witness` (also `sunlight witness`): what an outside party (the Highway
Patrol, a community group, a newspaper) runs to watch a Sunlight log.

The witness keeps its own state folder and never trusts the log: each run fetches the
latest checkpoint, checks the log's signature, and checks a consistency proof from the
last checkpoint it verified. Only then does it cosign (C2SP tlog-cosignature) and, with
``--submit``, send the cosignature to the log. If the log shows a smaller tree than before
(rollback), the same size with a different root, or a tree that a consistency proof cannot
tie to the last one (fork), it refuses, says so loudly, and stores both checkpoints and
the proof under ``evidence/`` in its state folder: signed by the log's own key, they are
proof that the log forked.

State folder::

    witness.key        the witness's signer key (mode 0600)
    witness.vkey       its verifier key, to give to the log operator
    logs/<origin>/checkpoint   the last checkpoint verified for that log
    evidence/<time>-<kind>/    old.checkpoint, new.checkpoint, proof.json, REPORT.txt
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sunlight_verify.http import Http, HttpResponse, UrllibClient
from sunlight_verify.keyfile import read_secret, write_secret
from sunlight_verify.tlog import (
    Checkpoint,
    VerificationError,
    cosign_checkpoint,
    generate_witness_signer,
    open_checkpoint,
    parse_verifier_key,
    verifier_key_for,
    verify_consistency,
)

__all__ = [
    "KEY_FILE",
    "VKEY_FILE",
    "ForkDetected",
    "Http",
    "RunResult",
    "WitnessError",
    "init",
    "run",
    "verifier_key",
]

KEY_FILE = "witness.key"
VKEY_FILE = "witness.vkey"


class WitnessError(RuntimeError):
    """The witness could not do its check (network, bad key): no verdict either way."""


class ForkDetected(RuntimeError):
    """The log rolled back or forked. ``evidence`` is the folder holding the proof."""

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass
class RunResult:
    origin: str
    size: int
    previous_size: int | None
    cosignature: str
    submitted: bool


def init(state: Path, name: str) -> str:
    """Create a witness key in ``state``; return its verifier key."""
    key_path = state / KEY_FILE
    if key_path.exists():
        raise WitnessError(f"{key_path} already exists; refusing to replace a witness key")
    skey, vkey = generate_witness_signer(name)
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not write_secret(key_path, skey + "\n"):
        raise WitnessError(f"{key_path} already exists")
    (state / VKEY_FILE).write_text(vkey + "\n", encoding="utf-8")
    return vkey


def _signer(state: Path) -> str:
    path = state / KEY_FILE
    if not path.exists():
        raise WitnessError(
            f"no witness key in {state}: run `sunlight-verify witness init` "
            "(or `sunlight witness init`) first"
        )
    return read_secret(path)


def verifier_key(state: Path) -> str:
    return verifier_key_for(_signer(state))


def _log_dir(state: Path, origin: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", origin)
    return state / "logs" / safe


def _fetch(http: Http, url: str) -> HttpResponse:
    try:
        response = http.get(url)
    except OSError as exc:
        raise WitnessError(f"cannot fetch {url}: {exc}") from exc
    if response.status_code != 200:
        raise WitnessError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
    return response


def _save_evidence(
    state: Path, kind: str, old_note: str, new_note: str, proof: Any, report: str
) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = state / "evidence" / f"{stamp}-{kind}"
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "old.checkpoint").write_text(old_note, encoding="utf-8")
    (folder / "new.checkpoint").write_text(new_note, encoding="utf-8")
    (folder / "proof.json").write_text(json.dumps(proof, indent=2), encoding="utf-8")
    (folder / "REPORT.txt").write_text(report + "\n", encoding="utf-8")
    return folder


def _body(note: str) -> str:
    """The checkpoint text of a signed note (everything before the signature block)."""
    return note[: note.rfind("\n\n") + 1]


def run(
    state: Path,
    log_url: str,
    log_key: str,
    *,
    http: Http | None = None,
    submit: bool = False,
    now: int | None = None,
) -> RunResult:
    """Check the log once; cosign (and submit) the latest checkpoint if it is consistent.

    Raises:
        ForkDetected: rollback or fork; the evidence is saved.
        WitnessError: the check could not be made (network, signature, keys).
    """
    signer = _signer(state)
    try:
        log_verifier = parse_verifier_key(log_key.strip())
    except VerificationError as exc:
        raise WitnessError(f"bad log key: {exc}") from exc
    base = log_url.rstrip("/")
    client: Http = http if http is not None else UrllibClient()

    new_note = _fetch(client, f"{base}/log/checkpoint").text
    try:
        new, _ = open_checkpoint(new_note, log_verifier, origin=log_verifier.name)
    except VerificationError as exc:
        raise WitnessError(f"the log's checkpoint does not verify: {exc}") from exc
    new_note = _body(new_note) + "\n" + _log_signature_line(new_note, log_verifier.name)

    folder = _log_dir(state, new.origin)
    last_path = folder / "checkpoint"
    previous: Checkpoint | None = None
    proof_doc: Any = None
    if last_path.exists():
        old_note = last_path.read_text(encoding="utf-8")
        previous, _ = open_checkpoint(old_note, log_verifier, origin=log_verifier.name)
        if new.size < previous.size:
            evidence = _save_evidence(
                state,
                "rollback",
                old_note,
                new_note,
                None,
                f"ROLLBACK: the log shrank from {previous.size} to {new.size} leaves",
            )
            raise ForkDetected(
                f"ROLLBACK: log {new.origin} went from {previous.size} to {new.size} leaves",
                evidence,
            )
        if new.size == previous.size:
            if new.root_hash != previous.root_hash:
                evidence = _save_evidence(
                    state,
                    "fork",
                    old_note,
                    new_note,
                    None,
                    f"FORK: two checkpoints of size {new.size} with different roots",
                )
                raise ForkDetected(
                    f"FORK: log {new.origin} signed two different trees of size {new.size}",
                    evidence,
                )
        elif previous.size > 0:
            url = f"{base}/log/proof/consistency?from={previous.size}&to={new.size}"
            try:
                proof_doc = _fetch(client, url).json()
            except ValueError as exc:
                raise WitnessError(f"{url}: not JSON") from exc
            try:
                proof = [bytes.fromhex(p) for p in proof_doc["proof"]]
                verify_consistency(
                    previous.size, new.size, proof, previous.root_hash, new.root_hash
                )
            except (VerificationError, KeyError, TypeError, ValueError) as exc:
                evidence = _save_evidence(
                    state,
                    "fork",
                    old_note,
                    new_note,
                    proof_doc,
                    f"FORK: checkpoint {new.size} is not consistent with {previous.size}: {exc}",
                )
                raise ForkDetected(
                    f"FORK: log {new.origin} checkpoint {new.size} is not an extension of "
                    f"checkpoint {previous.size} ({exc})",
                    evidence,
                ) from exc

    text = new.format_checkpoint()
    line = cosign_checkpoint(text, signer, int(time.time()) if now is None else now)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = last_path.with_suffix(".tmp")
    tmp.write_text(new_note, encoding="utf-8")
    tmp.replace(last_path)

    submitted = False
    if submit:
        try:
            response = client.post(
                f"{base}/log/cosignatures", json={"checkpoint": text, "cosignature": line}
            )
        except OSError as exc:
            raise WitnessError(f"could not submit the cosignature: {exc}") from exc
        if response.status_code not in (200, 201):
            raise WitnessError(
                f"the log refused the cosignature: HTTP {response.status_code} {response.text}"
            )
        submitted = True
    return RunResult(
        origin=new.origin,
        size=new.size,
        previous_size=previous.size if previous else None,
        cosignature=line,
        submitted=submitted,
    )


def _log_signature_line(note: str, name: str) -> str:
    """Keep only the log's own signature line(s), not other witnesses' cosignatures."""
    block = note[note.rfind("\n\n") + 2 :]
    return "".join(line + "\n" for line in block.splitlines() if line.startswith(f"\u2014 {name} "))

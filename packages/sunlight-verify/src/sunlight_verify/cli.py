"""The ``sunlight-verify`` command: ``verify`` and ``witness`` (standard library argparse).

``sunlight-verify verify`` takes the same options as ``sunlight verify`` (less the local
database mode, which needs a Sunlight server), plus ``--release ID``; the two commands share
:func:`run_verify`, so they check and print alike. ``sunlight-verify witness`` is
``sunlight witness``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sunlight_verify import witness as w
from sunlight_verify.bundle import BundleReport, check_bundle
from sunlight_verify.jsonio import load_json
from sunlight_verify.release import ReleaseReport, check_release_proof, is_release_proof
from sunlight_verify.remote import verify_release_remote, verify_remote
from sunlight_verify.tlog import VerificationError

__all__ = ["VerifyRequest", "file_sha256", "key_value", "main", "run_verify"]

#: ``echo(message, err)``: print a line to stdout, or to stderr when ``err``.
Echo = Callable[[str, bool], None]
#: Checks a SHA-256 against the local database (``sunlight verify`` without --log).
LocalCheck = Callable[[str, "int | None"], tuple[BundleReport, dict[str, Any]]]


def _print(message: str, err: bool) -> None:
    print(message, file=sys.stderr if err else sys.stdout)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def key_value(value: str) -> str:
    """A verifier key given inline, or the path of a file holding one (first non-blank line).

    Raises:
        ValueError: neither a key nor a readable file.
    """
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise ValueError(f"{value}: not a verifier key, nor a readable file") from exc
        value = next((x for x in lines if x), "")
    return value.strip()


@dataclass
class VerifyRequest:
    file: Path | None = None
    bundle: Path | None = None
    log_url: str | None = None
    log_key: str | None = None
    witness_keys: list[str] = field(default_factory=list)
    min_witnesses: int | None = None
    insecure: bool = False
    as_json: bool = False
    release_id: int | None = None
    #: Precomputed SHA-256 of ``file`` (else computed here).
    sha256: str | None = None


def _describe(report: BundleReport) -> str:
    entry = report.entry
    obj = entry.get("object", {})
    return (
        f"{entry.get('action')} of {obj.get('type')} {obj.get('id')} at {entry.get('time')} "
        f"(event {entry.get('event')}) is leaf {report.leaf_index} of log {report.origin}, "
        f"in checkpoint {report.tree_size} cosigned by "
        f"{', '.join(report.witnesses) or 'no witness'}"
    )


def _fields(report: BundleReport) -> dict[str, Any]:
    return {
        "origin": report.origin,
        "leaf_index": report.leaf_index,
        "tree_size": report.tree_size,
        "entry": report.entry,
        "witnesses": report.witnesses,
        "private": report.private,
        "keys_from_bundle": report.keys_from_bundle,
    }


def run_verify(req: VerifyRequest, *, local: LocalCheck | None = None, echo: Echo = _print) -> int:
    """Check what ``req`` asks; print the verdict; return the exit status (0 ok, 1 failed).

    Raises:
        ValueError: the request is unusable (no file nor bundle, a key file unreadable).
    """
    if req.file is None and req.bundle is None and req.release_id is None:
        raise ValueError("give a FILE, a --bundle, a --release (with --log), or both")
    if req.release_id is not None and req.log_url is None:
        raise ValueError("--release needs --log (the log's URL)")
    pinned_log = key_value(req.log_key) if req.log_key else None
    pinned_witnesses = [key_value(k) for k in req.witness_keys] or None
    sha = req.sha256
    if sha is None and req.file is not None:
        sha = file_sha256(req.file)
    result: dict[str, Any] = {"file": str(req.file) if req.file else None, "sha256": sha}
    release: ReleaseReport | None = None
    report: BundleReport
    extra: dict[str, Any] = {}

    def warn(message: str) -> None:
        echo(f"warning: {message}", True)

    try:
        if req.bundle is not None:
            document = load_json(req.bundle.read_bytes(), "the bundle")
            if not isinstance(document, dict):
                raise VerificationError("the bundle is not a JSON object")
            pins: dict[str, Any] = {
                "log_key": pinned_log,
                "witness_keys": pinned_witnesses,
                "min_witnesses": req.min_witnesses,
                "file_sha256": sha,
                "trust_bundle_keys": req.insecure,
            }
            if is_release_proof(document):
                release = check_release_proof(document, **pins)
                report = release.released
            else:
                report = check_bundle(document, **pins)
        elif req.release_id is not None:
            assert req.log_url is not None
            release, extra = verify_release_remote(
                req.release_id,
                req.log_url,
                log_key=pinned_log,
                witness_keys=pinned_witnesses,
                min_witnesses=req.min_witnesses,
                file_sha256=sha,
                trust_served_keys=req.insecure,
                warn=warn,
            )
            report = release.released
        elif req.log_url is not None:
            assert sha is not None
            report, extra = verify_remote(
                sha,
                req.log_url,
                log_key=pinned_log,
                witness_keys=pinned_witnesses,
                min_witnesses=req.min_witnesses,
                trust_served_keys=req.insecure,
                warn=warn,
            )
        else:
            if local is None:
                raise ValueError("give --log URL (the log's public address) or --bundle")
            assert sha is not None
            report, extra = local(sha, req.min_witnesses)
    except VerificationError as exc:
        result.update(ok=False, error=str(exc))
        if req.as_json:
            echo(json.dumps(result, indent=2, default=str), False)
        else:
            echo(f"FAILED: {exc}", True)
        return 1
    result.update(ok=True, **_fields(report), **extra)
    if release is not None:
        result["release"] = release.release
        result["original"] = _fields(release.original)
        result["file_is"] = release.file_is
    if req.as_json:
        echo(json.dumps(result, indent=2, default=str), False)
        return 0
    if release is not None:
        rid = release.release.get("id")
        echo(f"OK: release {rid}: the released copy's {_describe(report)}", False)
        echo(f"OK: release {rid}: the original's {_describe(release.original)}", False)
        if release.file_is:
            echo(f"OK: {req.file} is the {release.file_is} copy (SHA-256 {sha})", False)
    else:
        echo(f"OK: {_describe(report)}", False)
    if report.keys_from_bundle:
        echo(
            f"WARNING (--insecure-trust-bundle-keys): checked with the "
            f"{' and '.join(report.keys_from_bundle)} found in the bundle, which prove nothing; "
            "pin the published keys with --log-key/--witness-key",
            True,
        )
    return 0


# -- witness -----------------------------------------------------------------------------


def witness_run(
    state: Path, log_url: str, log_key: str, *, submit: bool, as_json: bool, echo: Echo = _print
) -> int:
    """``witness run``: 0 cosigned, 1 could not check, 2 fork or rollback (evidence saved)."""
    try:
        result = w.run(state, log_url, log_key, submit=submit)
    except w.ForkDetected as exc:
        message = f"!!! {exc} !!!\n!!! REFUSING TO COSIGN. Evidence saved in {exc.evidence} !!!"
        if as_json:
            echo(json.dumps({"ok": False, "error": str(exc), "evidence": str(exc.evidence)}), False)
        echo(message, True)
        return 2
    except w.WitnessError as exc:
        if as_json:
            echo(json.dumps({"ok": False, "error": str(exc)}, indent=2), False)
        echo(f"witness: {exc}", True)
        return 1
    if as_json:
        echo(json.dumps({"ok": True, **result.__dict__}, indent=2, default=str), False)
    else:
        echo(
            f"cosigned {result.origin} at size {result.size}"
            + (f" (previous {result.previous_size})" if result.previous_size is not None else "")
            + ("; submitted" if result.submitted else ""),
            False,
        )
    return 0


# -- argument parsing --------------------------------------------------------------------


def _nonnegative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sunlight-verify",
        description="Check a Sunlight log's proofs offline, or witness the log.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    v = commands.add_parser(
        "verify",
        help="Prove that FILE was ingested, when, and that the log holding it is witnessed.",
        description="Prove that FILE was ingested, when, and that the log holding it is "
        "witnessed. Only pinned keys are trusted: --log-key (and --witness-key where a "
        "quorum is required). Exits 1 if the file is unknown, a key is not pinned, or any "
        "proof or signature fails.",
    )
    v.add_argument("file", nargs="?", type=Path, help="The file to check (e.g. a video).")
    v.add_argument(
        "--bundle",
        type=Path,
        help="Check a proof bundle or a release proof offline (no network).",
    )
    v.add_argument("--log", dest="log_url", help="Verify against a public log at this URL.")
    v.add_argument(
        "--release",
        dest="release_id",
        type=int,
        help="With --log: fetch and check the public proof of this release "
        "(GET /api/public/releases/ID/proof).",
    )
    v.add_argument(
        "--log-key",
        metavar="VKEY|FILE",
        help="The log's published verifier key (GET /log/key), or a file holding it. Required.",
    )
    v.add_argument(
        "--witness-key",
        dest="witness_keys",
        action="append",
        default=[],
        metavar="VKEY|FILE",
        help="A witness's verifier key (listed at GET /log/witnesses), or a file holding it "
        "(repeatable). Required where cosignatures are.",
    )
    v.add_argument(
        "--min-witnesses",
        type=_nonnegative,
        help="Cosignatures needed from the pinned witnesses (default: the log's quorum, "
        "at least 1).",
    )
    v.add_argument(
        "--insecure-trust-bundle-keys",
        dest="insecure",
        action="store_true",
        help="TESTING ONLY: accept the keys and quorum that the bundle (or the log's server) "
        "names itself. A rogue log passes this check.",
    )
    v.add_argument("--json", dest="as_json", action="store_true")

    wit = commands.add_parser("witness", help="Run an independent witness of a Sunlight log.")
    wc = wit.add_subparsers(dest="witness_command", required=True)
    init = wc.add_parser("init", help="Create a witness key (mode 0600); print its verifier key.")
    init.add_argument("--name", required=True, help="Witness key name, e.g. example.org/witness.")
    init.add_argument("--state", required=True, type=Path, help="The witness's state folder.")
    key = wc.add_parser("key", help="Print the witness's verifier key.")
    key.add_argument("--state", required=True, type=Path, help="The witness's state folder.")
    run = wc.add_parser(
        "run", help="Check the log's latest checkpoint against the last seen; cosign if consistent."
    )
    run.add_argument("--log", dest="log_url", required=True, help="Base URL of the log.")
    run.add_argument("--log-key", required=True, help="The log's verifier key.")
    run.add_argument("--state", required=True, type=Path, help="The witness's state folder.")
    run.add_argument("--submit", action="store_true", help="Send the cosignature to the log.")
    run.add_argument("--json", dest="as_json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "verify":
        if args.file is not None and not args.file.is_file():
            parser.error(f"{args.file}: no such file")
        if args.bundle is not None and not args.bundle.is_file():
            parser.error(f"{args.bundle}: no such file")
        request = VerifyRequest(
            file=args.file,
            bundle=args.bundle,
            log_url=args.log_url,
            log_key=args.log_key,
            witness_keys=list(args.witness_keys),
            min_witnesses=args.min_witnesses,
            insecure=args.insecure,
            as_json=args.as_json,
            release_id=args.release_id,
        )
        try:
            return run_verify(request)
        except ValueError as exc:
            parser.error(str(exc))
    if args.witness_command == "run":
        return witness_run(
            args.state, args.log_url, args.log_key, submit=args.submit, as_json=args.as_json
        )
    try:
        if args.witness_command == "init":
            print(w.init(args.state, args.name))
            print(
                "give this verifier key to the log operator (sunlight ledger add-witness)",
                file=sys.stderr,
            )
        else:
            print(w.verifier_key(args.state))
    except (w.WitnessError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

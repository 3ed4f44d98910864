"""Ledger commands: `sunlight ledger ...`, `sunlight verify`, `sunlight audit`,
`sunlight witness ...` (registered on the main group in ``sunlight.cli.main``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
import httpx

from sunlight.ledger.bundle import BundleReport, check_bundle
from sunlight.ledger.verify import VerificationError, open_checkpoint, verify_consistency
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID, loads_json


def _runtime() -> Runtime:
    from sunlight.cli.common import open_runtime

    return open_runtime(worker_mode="eager")


def _emit(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


# -- sunlight ledger -------------------------------------------------------------------


@click.group()
def ledger() -> None:
    """The custody ledger: seal events, manage witnesses, export proofs."""


@ledger.command("seal")
@click.option("--full", is_flag=True, help="Also search all history for unsealed events.")
@click.option("--json", "as_json", is_flag=True)
def seal(full: bool, as_json: bool) -> None:
    """Seal every pending custody event into the log and sign a checkpoint."""
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        size = service.seal_pending(runtime, full=full)
        cp = service.issue_checkpoint(runtime)
    except service.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    if as_json:
        _emit({"size": size, "checkpoint": cp.note})
    else:
        click.echo(f"{size} events sealed; checkpoint:\n{cp.note}", nl=False)


@ledger.command("key")
def key() -> None:
    """Print the log's verifier key (publish it)."""
    from sunlight.ledger import service

    runtime = _runtime()
    click.echo(service.identity(runtime).verifier_key)
    runtime.close()


@ledger.command("add-witness")
@click.argument("vkey")
def add_witness(vkey: str) -> None:
    """Accept cosignatures from the witness with verifier key VKEY."""
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        row = service.add_witness(runtime, vkey, actor="admin:local")
    except service.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(f"witness {row.name} added")


@ledger.command("witnesses")
def list_witnesses() -> None:
    """List the witness keys this log counts."""
    from sunlight.ledger import service

    runtime = _runtime()
    with runtime.db.session() as session:
        for vkey in service.witness_keys(runtime, session):
            click.echo(vkey)
    runtime.close()


@ledger.command("export-proof")
@click.argument("recording_id", type=click.IntRange(1, MAX_ID))
def export_proof(recording_id: int) -> None:
    """Print the proof bundle of a recording's ingest (JSON; check with verify --bundle)."""
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        service.seal_and_checkpoint(runtime)
        bundle = service.recording_bundle(runtime, recording_id)
    except service.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    _emit(bundle)


# -- sunlight verify -------------------------------------------------------------------


def _hash(path: Path) -> str:
    from sunlight.storage import hash_file

    return hash_file(path)[0]


def _verify_local(sha: str, min_witnesses: int | None) -> tuple[BundleReport, dict[str, Any]]:
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        with runtime.db.session() as session:
            leaves = [
                leaf
                for leaf in service.leaves_for_sha256(session, sha)
                if json.loads(leaf.entry).get("action") == "ingest"
            ]
            if not leaves:
                from sqlalchemy import select

                from sunlight.evidence.models import Recording

                known = session.scalar(select(Recording.id).where(Recording.sha256 == sha))
                if known is not None:
                    raise VerificationError(
                        f"recording {known} has this SHA-256 but its ingest is not sealed into "
                        "the log yet (sunlight ledger seal)"
                    )
                raise VerificationError(
                    "this file is unknown to the log (no sealed ingest entry names its SHA-256)"
                )
            bundle = service.event_bundle(runtime, session, leaves[0].event_id)
            ident = service.identity(runtime)
            report = check_bundle(
                bundle,
                log_key=ident.verifier_key,
                witness_keys=bundle["log"]["witnesses"],
                min_witnesses=ident.settings.witness_quorum
                if min_witnesses is None
                else min_witnesses,
                file_sha256=sha,
            )
            latest = service.latest_checkpoint(session)
            assert latest is not None
            latest_cp, _ = open_checkpoint(latest.note, ident.verifier_key, origin=ident.origin)
            if latest_cp.size > report.tree_size:
                proof = service.consistency_proof(session, report.tree_size, latest_cp.size)
                _consistent(report, latest_cp.size, proof, latest_cp.root_hash, bundle)
        return report, {"latest_size": latest_cp.size}
    except service.LedgerError as exc:
        raise VerificationError(str(exc)) from exc
    finally:
        runtime.close()


def _consistent(
    report: BundleReport, size: int, proof: list[bytes], root: bytes, bundle: dict[str, Any]
) -> None:
    witnessed, _ = open_checkpoint(bundle["checkpoint"], bundle["log"]["key"], origin=report.origin)
    verify_consistency(report.tree_size, size, proof, witnessed.root_hash, root)


def _get(client: httpx.Client, url: str) -> httpx.Response:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise VerificationError(f"cannot fetch {url}: {exc}") from exc
    if response.status_code != 200:
        raise VerificationError(f"{url}: HTTP {response.status_code} {response.text[:200]}")
    return response


def verify_remote(
    sha: str,
    log_url: str,
    *,
    log_key: str | None,
    witness_keys: list[str] | None,
    min_witnesses: int | None,
    client: httpx.Client | None = None,
    warn: Any = None,
) -> tuple[BundleReport, dict[str, Any]]:
    """Verify a file's ingest against a public log, over HTTP only."""
    base = log_url.rstrip("/")
    http = client or httpx.Client(timeout=30, follow_redirects=True)
    if log_key is None:
        log_key = _get(http, f"{base}/log/key").text.strip()
        if warn:
            warn(f"trusting the log key served by {base}; pin it with --log-key")
    published = _get(http, f"{base}/log/witnesses").json()
    if witness_keys is None:
        witness_keys = list(published["witnesses"])
    if min_witnesses is None:
        min_witnesses = int(published["quorum"])
    found = _get(http, f"{base}/log/lookup?sha256={sha}").json()["leaves"]
    ingests = [x for x in found if x.get("action") == "ingest"]
    if not ingests:
        raise VerificationError("this file is unknown to the log")
    index = int(ingests[0]["index"])
    suffix = "?witnessed=true" if min_witnesses > 0 else ""
    note = _get(http, f"{base}/log/checkpoint{suffix}").text
    origin = log_key.split("+", 1)[0]
    cp, _ = open_checkpoint(
        note, log_key, witness_keys, min_cosignatures=min_witnesses, origin=origin
    )
    if cp.size <= index:
        raise VerificationError("the entry is not in a witnessed checkpoint yet; try later")
    entry = _get(http, f"{base}/log/entries?start={index}&end={index + 1}").json()["entries"][0]
    proof = _get(http, f"{base}/log/proof/inclusion?index={index}&size={cp.size}").json()
    bundle = {
        "format": "sunlight-proof-bundle/v1",
        "log": {
            "origin": origin,
            "key": log_key,
            "witnesses": witness_keys,
            "quorum": min_witnesses,
        },
        "leaf": {"index": index, "hash": entry["leaf_hash"], "entry": entry["entry"]},
        "inclusion": {"size": cp.size, "proof": proof["proof"]},
        "checkpoint": note,
    }
    report = check_bundle(bundle, file_sha256=sha)
    latest_note = _get(http, f"{base}/log/checkpoint").text
    latest, _ = open_checkpoint(latest_note, log_key, origin=origin)
    if latest.size > cp.size:
        doc = _get(http, f"{base}/log/proof/consistency?from={cp.size}&to={latest.size}").json()
        verify_consistency(
            cp.size,
            latest.size,
            [bytes.fromhex(p) for p in doc["proof"]],
            cp.root_hash,
            latest.root_hash,
        )
    elif latest.size < cp.size or (latest.size == cp.size and latest.root_hash != cp.root_hash):
        raise VerificationError(
            "the log's latest checkpoint is older than or forks from the witnessed one"
        )
    return report, {"latest_size": latest.size}


@click.command()
@click.argument(
    "file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--bundle",
    "bundle_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Check a proof bundle offline (no network, no database).",
)
@click.option(
    "--log",
    "log_url",
    help="Verify against a public log at this URL instead of the local database.",
)
@click.option("--log-key", help="The log's published verifier key (pin it).")
@click.option(
    "--witness-key", "witness_keys", multiple=True, help="A witness verifier key (repeatable)."
)
@click.option(
    "--min-witnesses",
    type=click.IntRange(0),
    help="Cosignatures needed (default: the log's quorum).",
)
@click.option("--json", "as_json", is_flag=True)
def verify(
    file: Path | None,
    bundle_path: Path | None,
    log_url: str | None,
    log_key: str | None,
    witness_keys: tuple[str, ...],
    min_witnesses: int | None,
    as_json: bool,
) -> None:
    """Prove that FILE was ingested, when, and that the log holding it is witnessed.

    Exits non-zero if the file is unknown or any proof or signature fails.
    """
    if file is None and bundle_path is None:
        raise click.UsageError("give a FILE, a --bundle, or both")
    sha = _hash(file) if file is not None else None
    result: dict[str, Any] = {"file": str(file) if file else None, "sha256": sha}
    try:
        if bundle_path is not None:
            try:
                # Bounded depth: a bundle nested 100,000 deep is an error, not a crash.
                document = loads_json(bundle_path.read_bytes())
            except ValueError as exc:
                raise VerificationError(f"the bundle is not JSON: {exc}") from exc
            if not isinstance(document, dict):
                raise VerificationError("the bundle is not a JSON object")
            report = check_bundle(
                document,
                log_key=log_key,
                witness_keys=list(witness_keys) or None,
                min_witnesses=min_witnesses,
                file_sha256=sha,
            )
            extra: dict[str, Any] = {}
        elif log_url is not None:
            assert sha is not None
            report, extra = verify_remote(
                sha,
                log_url,
                log_key=log_key,
                witness_keys=list(witness_keys) or None,
                min_witnesses=min_witnesses,
                warn=lambda m: click.echo(f"warning: {m}", err=True),
            )
        else:
            assert sha is not None
            report, extra = _verify_local(sha, min_witnesses)
    except VerificationError as exc:
        result.update(ok=False, error=str(exc))
        if as_json:
            _emit(result)
        else:
            click.echo(f"FAILED: {exc}", err=True)
        sys.exit(1)
    result.update(
        ok=True,
        origin=report.origin,
        leaf_index=report.leaf_index,
        tree_size=report.tree_size,
        entry=report.entry,
        witnesses=report.witnesses,
        private=report.private,
        keys_from_bundle=report.keys_from_bundle,
        **extra,
    )
    if as_json:
        _emit(result)
        return
    entry = report.entry
    obj = entry.get("object", {})
    click.echo(
        f"OK: {entry.get('action')} of {obj.get('type')} {obj.get('id')} at {entry.get('time')} "
        f"(event {entry.get('event')}) is leaf {report.leaf_index} of log {report.origin}, "
        f"in checkpoint {report.tree_size} cosigned by "
        f"{', '.join(report.witnesses) or 'no witness'}"
    )
    if report.keys_from_bundle:
        click.echo(
            f"warning: checked with the {' and '.join(report.keys_from_bundle)} found in the "
            "bundle; pass the published keys with --log-key/--witness-key",
            err=True,
        )


# -- sunlight audit --------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-objects", is_flag=True, help="Skip re-hashing the stored objects.")
def audit(as_json: bool, no_objects: bool) -> None:
    """Recompute the ledger from the event rows and check every checkpoint and object.

    Exits non-zero on any finding."""
    from sunlight.ledger.audit import run_audit

    runtime = _runtime()
    try:
        report = run_audit(runtime, objects=not no_objects)
    finally:
        runtime.close()
    if as_json:
        _emit(report.as_dict())
    else:
        click.echo(
            f"log: {report.log_size} leaves, {report.events_checked} events, "
            f"{report.checkpoints_checked} checkpoints, {report.objects_checked} objects "
            f"checked in {report.seconds:.1f} s"
        )
        for f in report.findings:
            where = f" leaf {f.leaf_index}" if f.leaf_index is not None else ""
            event = f" event {f.event_id}" if f.event_id is not None else ""
            click.echo(f"FINDING {f.kind}:{where}{event}: {f.detail}", err=True)
        click.echo("OK: no findings" if report.ok else f"{len(report.findings)} findings")
    if not report.ok:
        sys.exit(1)


# -- sunlight witness ------------------------------------------------------------------


@click.group()
def witness() -> None:
    """Run an independent witness of a Sunlight log (for outside parties)."""


STATE = click.option(
    "--state",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's own state folder.",
)


@witness.command("init")
@click.option("--name", required=True, help="Witness key name, e.g. example.org/witness.")
@STATE
def witness_init(name: str, state: Path) -> None:
    """Create a witness key (mode 0600) and print its verifier key."""
    from sunlight.ledger import witness as w

    try:
        vkey = w.init(state, name)
    except (w.WitnessError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(vkey)
    click.echo("give this verifier key to the log operator (sunlight ledger add-witness)", err=True)


@witness.command("key")
@STATE
def witness_key(state: Path) -> None:
    """Print the witness's verifier key."""
    from sunlight.ledger import witness as w

    try:
        click.echo(w.verifier_key(state))
    except w.WitnessError as exc:
        raise click.ClickException(str(exc)) from exc


@witness.command("run")
@click.option("--log", "log_url", required=True, help="Base URL of the log.")
@click.option("--log-key", required=True, help="The log's verifier key.")
@STATE
@click.option("--submit", is_flag=True, help="Send the cosignature to the log.")
@click.option("--json", "as_json", is_flag=True)
def witness_run(log_url: str, log_key: str, state: Path, submit: bool, as_json: bool) -> None:
    """Check the log's latest checkpoint against the last one seen; cosign if consistent."""
    from sunlight.ledger import witness as w

    try:
        result = w.run(state, log_url, log_key, submit=submit)
    except w.ForkDetected as exc:
        message = f"!!! {exc} !!!\n!!! REFUSING TO COSIGN. Evidence saved in {exc.evidence} !!!"
        if as_json:
            _emit({"ok": False, "error": str(exc), "evidence": str(exc.evidence)})
        click.echo(message, err=True)
        sys.exit(2)
    except w.WitnessError as exc:
        if as_json:
            _emit({"ok": False, "error": str(exc)})
        click.echo(f"witness: {exc}", err=True)
        sys.exit(1)
    if as_json:
        _emit({"ok": True, **result.__dict__})
    else:
        click.echo(
            f"cosigned {result.origin} at size {result.size}"
            + (f" (previous {result.previous_size})" if result.previous_size is not None else "")
            + ("; submitted" if result.submitted else "")
        )

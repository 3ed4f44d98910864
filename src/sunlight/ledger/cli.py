"""Ledger commands: `sunlight ledger ...`, `sunlight verify`, `sunlight audit`,
`sunlight witness ...` (registered on the main group in ``sunlight.cli.main``)."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import click

from sunlight.ledger.bundle import BundleReport, check_bundle
from sunlight.ledger.verify import VerificationError, open_checkpoint, verify_consistency
from sunlight.runtime import Runtime
from sunlight.validation import MAX_ID
from sunlight_verify.cli import VerifyRequest, run_verify
from sunlight_verify.cli import witness_run as run_witness
from sunlight_verify.http import UrllibClient
from sunlight_verify.remote import get


def _runtime() -> Runtime:
    from sunlight.cli.common import open_runtime

    return open_runtime(worker_mode="eager")


def _emit(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


def _echo(message: str, err: bool) -> None:
    click.echo(message, err=err)


# -- sunlight ledger -------------------------------------------------------------------


@click.group()
def ledger() -> None:
    """The custody ledger: seal events, manage witnesses, export proofs."""


@ledger.command("seal")
@click.option("--full", is_flag=True, help="Also search all history for unsealed events.")
@click.option("--json", "as_json", is_flag=True)
def seal(full: bool, as_json: bool) -> None:
    """Seal every pending custody event into the log and sign a checkpoint."""
    from sunlight.ledger import checkpoints, errors, sealing

    runtime = _runtime()
    try:
        size = sealing.seal_pending(runtime, full=full)
        cp = checkpoints.issue_checkpoint(runtime)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    if as_json:
        _emit({"size": size, "checkpoint": cp.note})
    else:
        click.echo(f"{size} events sealed; checkpoint:\n{cp.note}", nl=False)


@ledger.command("key")
def key() -> None:
    """Print the log's verifier key (publish it). Never creates a key."""
    from sunlight.ledger import errors, log_identity

    runtime = _runtime()
    try:
        click.echo(log_identity.identity(runtime).verifier_key)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()


@ledger.command("init-key")
def init_key() -> None:
    """Create the log key for an empty log (refused when the database already holds a log).

    Run it once, on one host; then install the same key file on every host that signs."""
    from sunlight.ledger import errors, log_identity

    runtime = _runtime()
    try:
        ident, created = log_identity.init_key(runtime)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(ident.verifier_key)
    click.echo(
        f"{'created' if created else 'already present:'} {ident.settings.key_file} "
        "(secret, mode 0600: back it up; install this same file on every signing host)",
        err=True,
    )


@ledger.command("status")
@click.option("--json", "as_json", is_flag=True)
def status(as_json: bool) -> None:
    """Where the log stands: size, latest checkpoint, key, checkpoint file, signing."""
    from sunlight.ledger import errors, integrity, log_identity, stored_log
    from sunlight.ledger import state as log_state
    from sunlight.ledger.config import ledger_settings

    runtime = _runtime()
    try:
        ls = ledger_settings(runtime.settings)
        with runtime.db.session() as session:
            size = stored_log.ledger_size(session)
            latest = stored_log.latest_checkpoint(session)
        try:
            vkey: str | None = log_identity.identity(runtime).verifier_key
        except errors.NoLogKey:
            vkey = None
        try:
            st = log_state.read_state(ls.state_file)
            saved: str | None = None
            if st is not None:
                copy = " (a copy: unconfirmed)" if st.is_copy else ""
                saved = f"checkpoint {st.checkpoint.size}{copy}"
        except log_state.StateError as exc:
            saved = f"damaged: {exc}"
        signing = integrity.signing_state(runtime)
    finally:
        runtime.close()
    doc = {
        "leaves": size,
        "latest_checkpoint": latest.size if latest else None,
        "signed_by": log_identity.describe_signer(latest.note) if latest else None,
        "key_file": str(ls.key_file),
        "log_key": vkey,
        "checkpoint_file": str(ls.state_file),
        "checkpoint_file_holds": saved,
        "signing": signing,
    }
    if as_json:
        _emit(doc)
    else:
        for name, value in doc.items():
            click.echo(f"{name}: {value if value is not None else '-'}")
    if signing != "allowed":
        sys.exit(1)


@ledger.command("restore-check")
@click.argument("source")
@click.option("--drill", is_flag=True, help="Check and report only; change nothing.")
def restore_check(source: str, drill: bool) -> None:
    """Allow a restored copy to sign: check it holds the latest published checkpoint.

    SOURCE is the log's latest checkpoint: a file (saved from GET /log/checkpoint of the
    public log, or a witness's copy, logs/<origin>/checkpoint in its state folder), or
    the URL of the public log. Exits 1 (signing stays refused) if this copy lacks entries
    the log already published, or holds different ones."""
    from sunlight.ledger import errors, restore

    if source.startswith(("http://", "https://")):
        url = (
            source
            if source.rstrip("/").endswith("/log/checkpoint")
            else (source.rstrip("/") + "/log/checkpoint")
        )
        try:
            note = get(UrllibClient(), url).text
        except VerificationError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        try:
            note = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read {source}: {exc}") from exc
    runtime = _runtime()
    try:
        result = restore.restore_check(runtime, note, drill=drill)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(result.message)
    if not result.ok:
        sys.exit(1)


@ledger.command("add-witness")
@click.argument("vkey")
@click.option("--reason", help="Why this witness is accepted (kept in the custody record).")
def add_witness(vkey: str, reason: str | None) -> None:
    """Accept cosignatures from the witness with verifier key VKEY (a custody event)."""
    from sunlight.access.principal import Principal
    from sunlight.ledger import errors, witness_trust

    runtime = _runtime()
    try:
        row = witness_trust.add_witness(runtime, vkey, actor=Principal.cli().id, reason=reason)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(f"witness {row.name} added")


@ledger.command("remove-witness")
@click.argument("vkey")
@click.option("--reason", required=True, help="Why (kept in the custody record).")
def remove_witness(vkey: str, reason: str) -> None:
    """Stop counting the cosignatures of the witness with verifier key VKEY."""
    from sunlight.access.principal import Principal
    from sunlight.ledger import errors, witness_trust

    runtime = _runtime()
    try:
        row = witness_trust.remove_witness(runtime, vkey, actor=Principal.cli().id, reason=reason)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(f"witness {row.name} removed")


@ledger.command("witnesses")
def list_witnesses() -> None:
    """List the witness keys this log counts, and warn of stored ones it does not trust."""
    from sunlight.ledger import witness_trust

    runtime = _runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            keys = witness_trust.witness_keys(runtime, session)
            _, unbacked = witness_trust.stored_witnesses(session)
    finally:
        runtime.close()
    for vkey in keys:
        click.echo(vkey)
    for row in unbacked:
        digest = hashlib.sha256(row.vkey.encode()).hexdigest()
        click.echo(
            f"NOT COUNTED: stored witness {row.vkey} (key SHA-256 {digest}) has no custody "
            "event behind it (added in the database, or before witnesses were recorded). It "
            "may have been planted: check the key with the witness itself, then "
            "`sunlight ledger add-witness KEY --reason TEXT` accepts it; `sunlight audit` "
            "reports it",
            err=True,
        )


@ledger.command("export-proof")
@click.argument("recording_id", type=click.IntRange(1, MAX_ID))
def export_proof(recording_id: int) -> None:
    """Print the proof bundle of a recording's ingest (JSON; check with verify --bundle)."""
    from sunlight.ledger import checkpoints, errors, proofs, sealing

    runtime = _runtime()
    try:
        sealing.seal_pending(runtime)
        try:
            checkpoints.issue_checkpoint(runtime, create_key=False)
        except (errors.SigningRefused, errors.KeyRefused, errors.NoLogKey) as exc:
            click.echo(f"warning: not signing a new checkpoint: {exc}", err=True)
        bundle = proofs.recording_bundle(runtime, recording_id)
    except errors.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    _emit(bundle)


# -- sunlight verify -------------------------------------------------------------------


def _verify_local(sha: str, min_witnesses: int | None) -> tuple[BundleReport, dict[str, Any]]:
    from sunlight.ledger import errors, log_identity, proofs, stored_log

    runtime = _runtime()
    try:
        with runtime.db.session() as session:
            leaves = [
                leaf
                for leaf in proofs.leaves_for_sha256(session, sha)
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
            bundle = proofs.event_bundle(runtime, session, leaves[0].event_id)
            ident = log_identity.identity(runtime)
            report = check_bundle(
                bundle,
                log_key=ident.verifier_key,
                witness_keys=bundle["log"]["witnesses"],
                min_witnesses=ident.settings.witness_quorum
                if min_witnesses is None
                else min_witnesses,
                file_sha256=sha,
            )
            latest = stored_log.latest_checkpoint(session)
            assert latest is not None
            latest_cp, _ = open_checkpoint(latest.note, ident.verifier_key, origin=ident.origin)
            if latest_cp.size > report.tree_size:
                proof = proofs.consistency_proof(session, report.tree_size, latest_cp.size)
                _consistent(report, latest_cp.size, proof, latest_cp.root_hash, bundle)
        return report, {"latest_size": latest_cp.size}
    except errors.LedgerError as exc:
        raise VerificationError(str(exc)) from exc
    finally:
        runtime.close()


def _consistent(
    report: BundleReport, size: int, proof: list[bytes], root: bytes, bundle: dict[str, Any]
) -> None:
    witnessed, _ = open_checkpoint(bundle["checkpoint"], bundle["log"]["key"], origin=report.origin)
    verify_consistency(report.tree_size, size, proof, witnessed.root_hash, root)


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
@click.option(
    "--release",
    "release_id",
    type=click.IntRange(1, MAX_ID),
    help="With --log: fetch and check the public proof of this release "
    "(GET /api/public/releases/ID/proof).",
)
@click.option(
    "--log-key",
    metavar="VKEY|FILE",
    help="The log's published verifier key (GET /log/key), or a file holding it. Required "
    "with --bundle and --log.",
)
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    metavar="VKEY|FILE",
    help="A witness's verifier key (listed at GET /log/witnesses), or a file holding it "
    "(repeatable). Required where cosignatures are.",
)
@click.option(
    "--min-witnesses",
    type=click.IntRange(0),
    help="Cosignatures needed from the pinned witnesses (default: the log's quorum, at least 1).",
)
@click.option(
    "--insecure-trust-bundle-keys",
    "insecure",
    is_flag=True,
    help="TESTING ONLY: accept the keys and quorum that the bundle (or the log's server) "
    "names itself. A rogue log passes this check.",
)
@click.option("--json", "as_json", is_flag=True)
def verify(
    file: Path | None,
    bundle_path: Path | None,
    log_url: str | None,
    release_id: int | None,
    log_key: str | None,
    witness_keys: tuple[str, ...],
    min_witnesses: int | None,
    insecure: bool,
    as_json: bool,
) -> None:
    """Prove that FILE was ingested, when, and that the log holding it is witnessed.

    With --bundle or --log, only pinned keys are trusted: --log-key (and --witness-key
    where a quorum is required). Exits non-zero if the file is unknown, a key is not
    pinned, or any proof or signature fails.
    """
    request = VerifyRequest(
        file=file,
        bundle=bundle_path,
        log_url=log_url,
        log_key=log_key,
        witness_keys=list(witness_keys),
        min_witnesses=min_witnesses,
        insecure=insecure,
        as_json=as_json,
        release_id=release_id,
    )
    try:
        code = run_verify(request, local=_verify_local, echo=_echo)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if code:
        sys.exit(code)


# -- sunlight audit --------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-objects", is_flag=True, help="Skip re-hashing the stored objects.")
def audit(as_json: bool, no_objects: bool) -> None:
    """Recompute the ledger from the event rows and check every checkpoint and object.

    Exits non-zero on any finding."""
    from sunlight.ledger import integrity
    from sunlight.ledger.audit import run_audit

    runtime = _runtime()
    try:
        report = run_audit(runtime, objects=not no_objects)
        signing = integrity.signing_state(runtime)
    finally:
        runtime.close()
    if as_json:
        _emit({**report.as_dict(), "signing": signing})
    else:
        click.echo(f"signing: {signing}")
        click.echo(
            f"log: {report.log_size} leaves, {report.events_checked} events, "
            f"{report.checkpoints_checked} checkpoints, {report.objects_checked} objects "
            f"checked in {report.seconds:.1f} s"
        )
        click.echo(
            f"replay: {report.events_replayed} events replayed ({report.events_unsealed} not "
            f"yet sealed), {report.rows_checked} table rows compared"
        )
        for f in report.findings:
            where = f" leaf {f.leaf_index}" if f.leaf_index is not None else ""
            event = f" event {f.event_id}" if f.event_id is not None else ""
            click.echo(f"FINDING {f.kind}:{where}{event}: {f.detail}", err=True)
        total = report.findings.total
        if total > len(report.findings):
            by_kind = ", ".join(f"{k}: {n}" for k, n in sorted(report.findings.counts.items()))
            click.echo(f"{total - len(report.findings)} more findings not listed ({by_kind})")
        click.echo("OK: no findings" if report.ok else f"{total} findings")
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
    code = run_witness(state, log_url, log_key, submit=submit, as_json=as_json, echo=_echo)
    if code:
        sys.exit(code)

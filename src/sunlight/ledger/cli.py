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
    """Print the log's verifier key (publish it). Never creates a key."""
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        click.echo(service.identity(runtime).verifier_key)
    except service.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()


@ledger.command("init-key")
def init_key() -> None:
    """Create the log key for an empty log (refused when the database already holds a log).

    Run it once, on one host; then install the same key file on every host that signs."""
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        ident, created = service.init_key(runtime)
    except service.LedgerError as exc:
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
    from sunlight.ledger import integrity, service
    from sunlight.ledger import state as log_state
    from sunlight.ledger.config import ledger_settings

    runtime = _runtime()
    try:
        ls = ledger_settings(runtime.settings)
        with runtime.db.session() as session:
            size = service.ledger_size(session)
            latest = service.latest_checkpoint(session)
        try:
            vkey: str | None = service.identity(runtime).verifier_key
        except service.NoLogKey:
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
        "signed_by": service.describe_signer(latest.note) if latest else None,
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
    from sunlight.ledger import service

    if source.startswith(("http://", "https://")):
        url = (
            source
            if source.rstrip("/").endswith("/log/checkpoint")
            else (source.rstrip("/") + "/log/checkpoint")
        )
        try:
            note = _get(httpx.Client(timeout=30, follow_redirects=True), url).text
        except VerificationError as exc:
            raise click.ClickException(str(exc)) from exc
    else:
        try:
            note = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"cannot read {source}: {exc}") from exc
    runtime = _runtime()
    try:
        result = service.restore_check(runtime, note, drill=drill)
    except service.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(result.message)
    if not result.ok:
        sys.exit(1)


@ledger.command("add-witness")
@click.argument("vkey")
def add_witness(vkey: str) -> None:
    """Accept cosignatures from the witness with verifier key VKEY."""
    from sunlight.access.principal import Principal
    from sunlight.ledger import service

    runtime = _runtime()
    try:
        row = service.add_witness(runtime, vkey, actor=Principal.cli().id)
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
        service.seal_pending(runtime)
        try:
            service.issue_checkpoint(runtime, create_key=False)
        except (service.SigningRefused, service.KeyRefused, service.NoLogKey) as exc:
            click.echo(f"warning: not signing a new checkpoint: {exc}", err=True)
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
    trust_served_keys: bool = False,
    warn: Any = None,
) -> tuple[BundleReport, dict[str, Any]]:
    """Verify a file's ingest against a public log, over HTTP only.

    Trusts only the pinned ``log_key`` and ``witness_keys`` (the keys the log serves are
    only as good as the server), unless ``trust_served_keys`` (testing)."""
    base = log_url.rstrip("/")
    http = client or httpx.Client(timeout=30, follow_redirects=True)
    if log_key is None:
        if not trust_served_keys:
            raise VerificationError(
                f"no log key pinned: pin the log's published key with --log-key (served at "
                f"{base}/log/key; compare it with the department's own publication of it)"
            )
        log_key = _get(http, f"{base}/log/key").text.strip()
        if warn:
            warn(f"trusting the log key served by {base} (--insecure-trust-bundle-keys)")
    published = _get(http, f"{base}/log/witnesses").json()
    if witness_keys is None:
        witness_keys = list(published["witnesses"]) if trust_served_keys else []
    if min_witnesses is None:
        quorum = int(published["quorum"])
        min_witnesses = quorum if trust_served_keys else max(quorum, 1)
    if min_witnesses > len(set(witness_keys)):
        raise VerificationError(
            f"{min_witnesses} witness cosignatures are required but {len(set(witness_keys))} "
            f"witness keys are pinned: pin them with --witness-key (listed at "
            f"{base}/log/witnesses; check them with the witnesses themselves), or accept an "
            "unwitnessed checkpoint with --min-witnesses 0"
        )
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
    report = check_bundle(
        bundle,
        log_key=log_key,
        witness_keys=witness_keys,
        min_witnesses=min_witnesses,
        file_sha256=sha,
    )
    if trust_served_keys:
        report.keys_from_bundle = ["log key served by the log"]
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


def _key_value(value: str) -> str:
    """A verifier key given inline, or the path of a file holding one (first line)."""
    path = Path(value)
    if "+" not in value or path.is_file():
        try:
            lines = [x.strip() for x in path.read_text(encoding="utf-8").splitlines()]
        except OSError as exc:
            raise click.BadParameter(f"{value}: not a verifier key, nor a readable file") from exc
        value = next((x for x in lines if x), "")
    return value.strip()


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
    if file is None and bundle_path is None:
        raise click.UsageError("give a FILE, a --bundle, or both")
    pinned_log = _key_value(log_key) if log_key else None
    pinned_witnesses = [_key_value(k) for k in witness_keys] or None
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
                log_key=pinned_log,
                witness_keys=pinned_witnesses,
                min_witnesses=min_witnesses,
                file_sha256=sha,
                trust_bundle_keys=insecure,
            )
            extra: dict[str, Any] = {}
        elif log_url is not None:
            assert sha is not None
            report, extra = verify_remote(
                sha,
                log_url,
                log_key=pinned_log,
                witness_keys=pinned_witnesses,
                min_witnesses=min_witnesses,
                trust_served_keys=insecure,
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
            f"WARNING (--insecure-trust-bundle-keys): checked with the "
            f"{' and '.join(report.keys_from_bundle)} found in the bundle, which prove nothing; "
            "pin the published keys with --log-key/--witness-key",
            err=True,
        )


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

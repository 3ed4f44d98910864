"""`sunlight` command group. Commands that scripts use accept ``--json`` and then print
exactly one JSON document on stdout (progress and chatter go to stderr)."""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from sunlight import __version__
from sunlight.cli.common import emit_json, open_runtime, seal_written_events


class LazyGroup(click.Group):
    """Domain command groups load on first use: `sunlight ingest` should not pay for
    importing the ledger, retention and redaction code (and numpy) it never runs."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            # Imported here, not at the top: `sunlight --help` must not load SQLAlchemy.
            from sunlight.db import DatabaseBusy

            if isinstance(exc, DatabaseBusy):  # rolled back, so a rerun is safe
                raise click.ClickException(f"{exc}; nothing was changed, run it again") from exc
            raise


DOMAIN_COMMANDS = {
    "ledger": "sunlight.ledger.cli:ledger",
    "verify": "sunlight.ledger.cli:verify",
    "audit": "sunlight.ledger.cli:audit",
    "witness": "sunlight.ledger.cli:witness",
    "retention": "sunlight.retention.cli:retention",
    "import": "sunlight.compliance.cli:import_command",
    "compliance": "sunlight.compliance.cli:compliance",
    "redact": "sunlight.redaction.cli:redact",
    "captions": "sunlight.captions.cli:captions",
    "releases": "sunlight.release.cli:releases",
    "refusals": "sunlight.audit.cli:refusals",
    "users": "sunlight.access.cli.users:users",
    "agencies": "sunlight.access.cli.agencies:agencies",
    "tokens": "sunlight.access.cli.tokens:tokens",
    "requests": "sunlight.requests.cli:requests",
    "outbox": "sunlight.notify.cli:outbox",
    "policies": "sunlight.policies.cli:policies",
}


@click.group(
    cls=LazyGroup,
    lazy=DOMAIN_COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="sunlight")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Sunlight: evidence custody and public release for body-worn camera video.

    Settings come from SUNLIGHT_* environment variables (SUNLIGHT_HOME, SUNLIGHT_DATABASE_URL,
    SUNLIGHT_STORAGE_URL, SUNLIGHT_BROKER_URL, ...) or a TOML file named by SUNLIGHT_CONFIG.
    """
    if ctx.invoked_subcommand in SEALING_COMMANDS and not HELP_FLAGS & set(sys.argv[1:]):
        ctx.call_on_close(seal_written_events)


#: Commands that write custody events: they leave their events sealed when they end.
SEALING_COMMANDS = {
    "ingest",
    "import",
    "retention",
    "redact",
    "captions",
    "demo",
    "users",
    "agencies",
    "tokens",
    "outbox",
    "policies",
}
HELP_FLAGS = {"-h", "--help"}


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--demo", is_flag=True, help="Fill the data folder with demo data first.")
@click.option(
    "--retention/--no-retention",
    default=True,
    show_default=True,
    help="Run the published retention schedule daily in this process.",
)
@click.option("--ssl-certfile", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--ssl-keyfile", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    envvar="SUNLIGHT_TRUSTED_PROXY",
    help="The TLS-terminating reverse proxy's address(es), trusted for X-Forwarded-Proto "
    "(also SUNLIGHT_TRUSTED_PROXY).",
)
def serve(
    host: str,
    port: int,
    demo: bool,
    retention: bool,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    forwarded_allow_ips: str | None,
) -> None:
    """Run the web app (staff pages, API, uploads) with an embedded job worker.

    In the background it also seals the custody ledger, re-enqueues lost playback jobs,
    sweeps expired uploads and (unless --no-retention) runs the retention schedule daily.
    Off the loopback address it starts only with TLS (--ssl-certfile/--ssl-keyfile) or
    behind a trusted TLS proxy (--forwarded-allow-ips / SUNLIGHT_TRUSTED_PROXY).
    """
    import uvicorn

    from sunlight.access.principal import Principal
    from sunlight.evidence.derivatives import reconcile
    from sunlight.policies.registry import in_force
    from sunlight.policies.service import record_in_force
    from sunlight.web.app import create_app
    from sunlight.web.security import serve_refusal

    refusal = serve_refusal(
        host, certfile=ssl_certfile, keyfile=ssl_keyfile, trusted_proxy=forwarded_allow_ips
    )
    if refusal:
        raise click.UsageError(refusal)
    runtime = open_runtime()
    if demo:
        from sunlight.demo import load_demo

        summary = load_demo(runtime, log=lambda msg: click.echo(msg, err=True))
        scheme = "https" if ssl_certfile else "http"
        where = f"{scheme}://{host}:{port}"
        for line in demo_report(summary, runtime.settings.home, where):
            click.echo(line, err=True)
    with runtime.db.session() as session:
        adopted = record_in_force(
            session, in_force(), actor=Principal.system("serve").id, now=datetime.now(UTC)
        )
    for name in adopted:
        click.echo(f"Recorded the {name} policy now in force in the custody log.", err=True)
    app = create_app(runtime, start_worker=runtime.settings.worker_mode == "thread")
    requeued = reconcile(runtime, older_than=timedelta(0))
    if requeued:
        click.echo(f"re-enqueued playback jobs for {len(requeued)} recordings", err=True)
    from sunlight.redaction.service import reconcile as reconcile_redaction

    resumed = reconcile_redaction(runtime, stalled_after=timedelta(0))
    if resumed:
        click.echo(f"re-enqueued {len(resumed)} redaction jobs", err=True)
    scheme = "https" if ssl_certfile else "http"
    click.echo(
        f"Sunlight {__version__} on {scheme}://{host}:{port}/  (data: {runtime.settings.home})",
        err=True,
    )
    from sunlight.web.maintenance import server_schedule
    from sunlight.web.server_logging import log_config as server_log_config

    schedule = server_schedule(runtime, retention=retention)
    schedule.start()
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            log_config=server_log_config(),
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            proxy_headers=bool(forwarded_allow_ips),
            forwarded_allow_ips=forwarded_allow_ips,
        )
    finally:
        schedule.stop()


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.pass_context
def demo(ctx: click.Context, as_json: bool) -> None:
    """Fill the data folder with demo officers, cameras, recordings and one demo account
    per role (idempotent). `sunlight demo totp USERNAME` prints a demo account's code."""
    if ctx.invoked_subcommand is not None:
        return
    from sunlight.demo import load_demo

    runtime = open_runtime(worker_mode="eager")
    summary = load_demo(runtime, log=lambda msg: click.echo(msg, err=True))
    if as_json:
        emit_json(summary)
    else:
        for line in demo_report(summary, runtime.settings.home):
            click.echo(line)
        click.echo("Start with: uv run sunlight serve")


@demo.command("totp")
@click.argument("username")
def demo_totp(username: str) -> None:
    """Print the current sign-in code of a DEMO account (refused for any other account)."""
    from sunlight.demo_accounts import DemoOnly, demo_totp_code
    from sunlight.errors import SunlightError

    runtime = open_runtime()
    try:
        code = demo_totp_code(runtime, username)
    except (DemoOnly, SunlightError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        runtime.close()
    click.echo(code)


def demo_report(
    summary: dict[str, Any], home: Path, base_url: str = "http://127.0.0.1:8000"
) -> list[str]:
    """What the demo loaded and where, for people (the README lists what to try)."""
    from sunlight.demo import DEMO_DAY, FACES_RECORDING_ID
    from sunlight.demo_accounts import sign_in_lines
    from sunlight.demo_requests import records_request_lines

    return [
        f"demo data ready in {home}: {summary['ingested']} recordings ingested "
        f"({summary['duplicates']} already there, {summary['flagged']} flagged), "
        f"{summary['incidents']} incidents added; all dated {DEMO_DAY:%Y-%m-%d}.",
        f"recording {FACES_RECORDING_ID} (on a fresh data folder) shows faces (its redacted, "
        "released copy is the newest recording; try `sunlight redact` on it again); "
        f"demo files to try: {home / 'demo'}.",
        f"DEMO-ONLY keys, never for evidence: a witness in {home / 'demo' / 'witness'} "
        f"(it cosigned checkpoint {summary['witness']})"
        + (f" and a C2PA chain in {home / 'c2pa'}." if summary["c2pa_key"] == "demo" else "."),
        "Every example in the README runs on this data.",
        *records_request_lines(home / "demo", base_url),
        *sign_in_lines(base_url),
    ]


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--officer", help="Badge number of the officer who recorded the files.")
@click.option("--device", help="Serial number of the camera.")
@click.option("--recorded-at", help="ISO 8601 time with offset, e.g. 2026-05-08T14:03:00-05:00.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def ingest(
    paths: tuple[Path, ...],
    officer: str | None,
    device: str | None,
    recorded_at: str | None,
    as_json: bool,
) -> None:
    """Ingest files or dock folders (recursive). Re-running ingests nothing twice.

    Metadata may also come from a sidecar JSON file next to each video (NAME.mp4.json or
    NAME.json) with keys officer, device, recorded_at, title, notes; options win.
    """
    from sunlight.cli.ingest import run_ingest

    when: datetime | None = None
    from sunlight.evidence.ingest import IngestError, parse_timestamp

    try:
        when = parse_timestamp(recorded_at, "--recorded-at") if recorded_at else None
    except IngestError as exc:
        raise click.BadParameter(str(exc), param_hint="--recorded-at") from exc
    runtime = open_runtime(worker_mode=None)
    try:
        report = run_ingest(
            runtime, paths, officer=officer, device=device, recorded_at=when, as_json=as_json
        )
    finally:
        runtime.close()
    if as_json:
        emit_json(report)
    if report["errors"]:
        sys.exit(1)


@cli.command()
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64))
def worker(concurrency: int) -> None:
    """Run a background job worker (for SUNLIGHT_WORKER_MODE=external, e.g. with Redis)."""
    runtime = open_runtime(worker_mode="external")
    worker = runtime.jobs.app.Worker(
        pool="solo" if concurrency == 1 else "prefork",
        concurrency=concurrency,
        loglevel="INFO",
        redirect_stdouts=False,
    )
    worker.start()


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.option(
    "--idle-minutes",
    default=2,
    show_default=True,
    type=click.IntRange(0, 10**6),
    help="Leave alone work touched more recently (an upload being completed, a fresh job).",
)
def reconcile(as_json: bool, idle_minutes: int) -> None:
    """Finish what a crash or failure left half done (idempotent).

    Records fully received uploads whose completion failed, re-enqueues lost background
    jobs, and reports stored objects that nothing refers to, with their SHA-256 and size.
    """
    from sunlight.db.base import utcnow
    from sunlight.web.maintenance import reconcile_all

    runtime = open_runtime()
    report = reconcile_all(runtime, now=utcnow(), idle_for=timedelta(minutes=idle_minutes))
    if as_json:
        emit_json(report.to_dict())
        return
    for done in report.uploads_recorded:
        click.echo(
            f"recorded upload {done.upload_id} as recording "
            f"{(done.result or {}).get('Sunlight-Recording-Id')} (sha256 {done.sha256})"
        )
    for failed in report.uploads_failed:
        click.secho(
            f"upload {failed.upload_id} (sha256 {failed.sha256}, {failed.size} bytes) is fully "
            f"received but could not be recorded: {failed.error}",
            fg="red",
            err=True,
        )
    click.echo(f"re-enqueued {len(report.requeued)} recordings")
    click.echo(f"re-enqueued {len(report.redaction_jobs)} redaction jobs")
    for orphan in report.orphans:
        click.secho(
            f"orphan: {orphan.sha256} ({orphan.size} bytes) is stored but belongs to no recording",
            fg="yellow",
            err=True,
        )
    click.echo(
        f"{report.orphan_count} stored objects belong to nothing ({report.orphan_bytes} bytes)"
    )


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (also done automatically at start-up)."""
    runtime = open_runtime()
    click.echo(f"database at {runtime.db.url.split('@')[-1]} is up to date")


if __name__ == "__main__":
    cli()

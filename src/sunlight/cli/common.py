"""Helpers every command module shares (the `sunlight` group lives in main.py; domain
command modules import from here, never from main, so there is no import cycle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sunlight.config import ConfigError, load_settings

if TYPE_CHECKING:
    from sunlight.runtime import Runtime


def open_runtime(worker_mode: str | None = None) -> Runtime:
    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if worker_mode is not None:
        settings = settings.with_overrides(worker_mode=worker_mode)
    from sunlight.runtime import start  # SQLAlchemy and friends: not needed for --help

    try:
        return start(settings)
    except ConfigError as exc:  # e.g. a published policy file that does not validate
        raise click.ClickException(str(exc)) from exc


def seal_written_events() -> None:
    """Seal into the ledger the custody events a command wrote, before it exits.

    Run when a command that writes events ends (ingest, import, retention, redact, demo),
    whether it succeeded or not, so no event waits unsealed for `serve`'s sealer. Sealing
    needs no key (the checkpoint is signed by `serve` or `sunlight ledger seal`); a
    failure only warns: the audit replays unsealed events too.
    """
    try:
        settings = load_settings()
    except ConfigError:
        return
    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return  # nothing was ever written here
    from sunlight.ledger.sealing import seal_pending  # the ledger only when it is needed
    from sunlight.runtime import start

    try:
        runtime = start(settings, migrate=False)
    except Exception as exc:  # the command's own error has been reported already
        click.echo(f"warning: custody events not sealed: {exc}", err=True)
        return
    try:
        seal_pending(runtime)
    except Exception as exc:
        click.echo(
            f"warning: custody events not sealed yet ({exc}); `sunlight serve` seals them",
            err=True,
        )
    finally:
        runtime.close()


def emit_json(document: Any) -> None:
    """Scripts read exactly one JSON document on stdout."""
    click.echo(json.dumps(document, indent=2, default=str))

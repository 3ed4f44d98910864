"""Helpers every command module shares (the `sunlight` group lives in main.py; domain
command modules import from here, never from main, so there is no import cycle)."""

from __future__ import annotations

import json
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

    return start(settings)


def emit_json(document: Any) -> None:
    """Scripts read exactly one JSON document on stdout."""
    click.echo(json.dumps(document, indent=2, default=str))

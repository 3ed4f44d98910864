"""What the account commands share (`sunlight users`, `agencies`, `tokens`): accounts,
agencies and API tokens from the server's shell.

The command line acts as ``Principal.cli()`` (``cli:<operating-system user>``): shell access
to the archive is administration, and every change is a custody event under that name. Every
command takes ``--json`` and then prints exactly one JSON document on stdout; bad input is
an error message on stderr and exit status 1.

Heavy imports (SQLAlchemy, the services) happen inside the commands so that
``sunlight --help`` stays fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sunlight.cli.common import open_runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sunlight.access.principal import Principal
    from sunlight.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])

JSON_HELP = "Print one JSON document."


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(func)


def cli_actor() -> Principal:
    from sunlight.access.principal import Principal

    return Principal.cli()


@contextmanager
def unit_of_work() -> Iterator[tuple[Runtime, Session]]:
    """One write session on a started runtime; Sunlight's errors become a message and exit 1."""
    from sunlight.errors import SunlightError

    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            yield runtime, session
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


@contextmanager
def reading() -> Iterator[Session]:
    from sunlight.errors import SunlightError

    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            yield session
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None

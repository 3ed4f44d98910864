"""`sunlight tokens ...`: scoped API tokens for camera docks and integrations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from sunlight.cli.common import emit_json

if TYPE_CHECKING:
    from sunlight.access.models import ApiToken

from sunlight.access.cli.common import cli_actor, iso, json_option, reading, unit_of_work

# -- tokens -----------------------------------------------------------------------------


def token_document(token: ApiToken, *, now: datetime | None = None) -> dict[str, Any]:
    from sunlight.access.tokens import token_status
    from sunlight.db.base import utcnow

    return {
        "id": token.id,
        "principal": f"token:{token.id}",
        "name": token.name,
        "permissions": list(token.permissions),
        "agency_id": token.agency_id,
        "created_by": token.created_by,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
        "revoked_at": iso(token.revoked_at),
        "state": token_status(token, now or utcnow()),
    }


@click.group()
def tokens() -> None:
    """Scoped API tokens for camera docks and integrations (upload only, by default)."""


@tokens.command("create")
@click.option("--name", required=True, help="What the token is for, e.g. 'Dock 3, East Patrol'.")
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    help="A permission the token holds (repeat); default: recording:upload only.",
)
@click.option(
    "--expires-days",
    type=int,
    default=None,
    help="Days until the token stops working (default: 365).",
)
@click.option("--agency", help="The agency the token acts for (short name).")
@json_option
def tokens_create(
    name: str,
    permissions: tuple[str, ...],
    expires_days: int | None,
    agency: str | None,
    as_json: bool,
) -> None:
    """Create a token; it is printed once and stored only as a hash.

    With --json prints exactly {"id": ..., "token": "..."}. Clients send it as
    `Authorization: Bearer TOKEN`.
    """
    from sunlight.access.agencies import find_agency
    from sunlight.access.tokens import DEFAULT_DAYS, create_token

    with unit_of_work() as (_runtime, session):
        agency_id = find_agency(session, agency).id if agency else None
        token, raw = create_token(
            session,
            name=name,
            permissions=list(permissions) or None,
            actor=cli_actor(),
            agency_id=agency_id,
            expires_days=expires_days if expires_days is not None else DEFAULT_DAYS,
        )
        token_id = token.id
        granted = list(token.permissions)
        expires_at = iso(token.expires_at)
    if as_json:
        emit_json({"id": token_id, "token": raw})
        return
    click.echo(f"token:{token_id} {name!r}: {', '.join(granted)}; expires {expires_at or 'never'}")
    click.echo(f"token (shown once): {raw}")


@tokens.command("list")
@json_option
def tokens_list(as_json: bool) -> None:
    """Tokens (never their values): permissions, expiry, last use, revoked or not."""
    from sunlight.access.tokens import list_tokens

    with reading() as session:
        documents = [token_document(t) for t in list_tokens(session)]
    if as_json:
        emit_json(documents)
        return
    if not documents:
        click.echo("no tokens")
    for d in documents:
        click.echo(
            f"{d['id']:>4} {d['state']:<8} {d['name']}: {', '.join(d['permissions'])}"
            f"  expires {d['expires_at'] or 'never'}  last used {d['last_used_at'] or 'never'}"
        )


@tokens.command("revoke")
@click.argument("token_id")
@json_option
def tokens_revoke(token_id: str, as_json: bool) -> None:
    """Revoke token TOKEN_ID (a number, or token:NUMBER) at once."""
    from sunlight.access.tokens import revoke_token
    from sunlight.validation import MAX_ID

    number = token_id.removeprefix("token:")
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_ID):
        raise click.ClickException(f"not a token id: {token_id!r} (see `sunlight tokens list`)")
    with unit_of_work() as (_runtime, session):
        token = revoke_token(session, int(number), actor=cli_actor())
        document = token_document(token)
    if as_json:
        emit_json(document)
    else:
        click.echo(f"revoked token:{number}")

"""`sunlight users ...`, `sunlight agencies ...` and `sunlight tokens ...`: accounts, agencies
and API tokens from the server's shell.

The command line acts as ``Principal.cli()`` (``cli:<operating-system user>``): shell access
to the archive is administration, and every change is a custody event under that name. Every
command takes ``--json`` and then prints exactly one JSON document on stdout; bad input is
an error message on stderr and exit status 1.

Heavy imports (SQLAlchemy, the services) happen inside the commands so that
``sunlight --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from sunlight.cli.common import emit_json, open_runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sunlight.access.models import Agency, ApiToken, Unit, User
    from sunlight.access.principal import Principal
    from sunlight.runtime import Runtime

F = TypeVar("F", bound=Callable[..., Any])

JSON_HELP = "Print one JSON document."


def _json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help=JSON_HELP)(func)


def _actor() -> Principal:
    from sunlight.access.principal import Principal

    return Principal.cli()


@contextmanager
def _unit_of_work() -> Iterator[tuple[Runtime, Session]]:
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
def _reading() -> Iterator[Session]:
    from sunlight.errors import SunlightError

    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            yield session
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- users ------------------------------------------------------------------------------


def user_document(session: Session, user: User) -> dict[str, Any]:
    """What `users list --json` prints for one user (and the admin pages show)."""
    from sunlight.access.accounts import account_status

    status = account_status(session, user)
    return {
        "id": user.id,
        "principal": f"user:{user.id}",
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "agency": user.agency.short_name,
        "agency_id": user.agency_id,
        "unit": user.unit,
        "officer_id": user.officer_id,
        "roles": sorted(user.role_names),
        "mfa": status.mfa,
        "locked": status.locked,
        "disabled": user.disabled_at is not None,
        "last_sign_in": _iso(status.last_sign_in),
        "created_at": _iso(user.created_at),
    }


def _find_user(session: Session, username: str) -> User:
    from sunlight.access.users import user_by_name_or_id

    return user_by_name_or_id(session, username.strip())


def _officer_id(session: Session, badge: str | None) -> int | None:
    if not badge:
        return None
    from sqlalchemy import select

    from sunlight.errors import NotFound
    from sunlight.evidence.models import Officer

    officer = session.scalar(select(Officer).where(Officer.badge_number == badge.strip()))
    if officer is None:
        raise NotFound(f"no officer with badge {badge!r} (add one first: see /officers)")
    return officer.id


def _generated_password() -> str:
    import secrets

    # 20 characters from a 64-symbol alphabet: 120 bits, far beyond any blocklist
    return secrets.token_urlsafe(15)


@click.group()
def users() -> None:
    """People who sign in: create, list, roles, disable, unlock, reset MFA, end sessions."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's full name.")
@click.option("--agency", required=True, help="The agency's short name (KCPD, MSHP, JCPO, OCC).")
@click.option(
    "--role", "roles", multiple=True, required=True, help="A role of the access policy (repeat)."
)
@click.option("--unit", help="The unit inside the agency (e.g. Central Patrol Division).")
@click.option("--officer", "badge", help="Badge number of the person's officer record.")
@click.option("--email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
@_json_option
def users_create(
    username: str,
    display_name: str,
    agency: str,
    roles: tuple[str, ...],
    unit: str | None,
    badge: str | None,
    email: str | None,
    password_stdin: bool,
    as_json: bool,
) -> None:
    """Create USERNAME. Without --password-stdin a random initial password is printed once:
    give it to the person, who signs in with it and enrols a second factor."""
    from sunlight.access.agencies import find_agency
    from sunlight.access.users import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        generated = False
    else:
        password = _generated_password()
        generated = True
    with _unit_of_work() as (_runtime, session):
        found = find_agency(session, agency)
        user = create_user(
            session,
            username=username,
            display_name=display_name,
            agency_id=found.id,
            roles=list(roles),
            password=password,
            unit=unit,
            officer_id=_officer_id(session, badge),
            email=email,
            actor=_actor(),
        )
        document = user_document(session, user)
    if generated:
        document["password"] = password
    if as_json:
        emit_json(document)
        return
    click.echo(
        f"created user:{document['id']} {document['username']} ({document['agency']}, "
        f"roles: {', '.join(document['roles'])})"
    )
    if generated:
        click.echo(f"initial password (shown once): {password}")
        click.echo("They sign in with it and enrol a second factor; they can change it then.")


@users.command("list")
@click.option("--agency", help="Only this agency's users (short name).")
@_json_option
def users_list(agency: str | None, as_json: bool) -> None:
    """Users with their agency, unit, roles, MFA and lock status, and last sign-in."""
    from sunlight.access.agencies import find_agency
    from sunlight.access.users import list_users

    with _reading() as session:
        agency_id = find_agency(session, agency).id if agency else None
        documents = [user_document(session, u) for u in list_users(session, agency_id=agency_id)]
    if as_json:
        emit_json(documents)
        return
    if not documents:
        click.echo("no users")
    for d in documents:
        flags = [f for f in ("disabled", "locked") if d[f]]
        click.echo(
            f"{d['username']:<20} {d['agency']:<6} {', '.join(d['roles']) or '(no roles)':<22}"
            f" mfa: {d['mfa'] or 'none':<13}"
            f"  last sign-in: {d['last_sign_in'] or 'never'}"
            + (f"  [{', '.join(flags)}]" if flags else "")
        )


@users.command("show")
@click.argument("username")
@_json_option
def users_show(username: str, as_json: bool) -> None:
    """One user."""
    with _reading() as session:
        document = user_document(session, _find_user(session, username))
    if as_json:
        emit_json(document)
        return
    for key, value in document.items():
        click.echo(f"{key}: {value}")


@users.command("roles")
@click.argument("username")
@click.option("--set", "set_roles_", multiple=True, help="Replace the roles with these (repeat).")
@click.option("--add", "add", multiple=True, help="Add a role (repeat).")
@click.option("--remove", "remove", multiple=True, help="Remove a role (repeat).")
@_json_option
def users_roles(
    username: str,
    set_roles_: tuple[str, ...],
    add: tuple[str, ...],
    remove: tuple[str, ...],
    as_json: bool,
) -> None:
    """Show or change USERNAME's roles. The custody event records the access policy's hash."""
    from sunlight.access.users import set_roles

    if set_roles_ and (add or remove):
        raise click.ClickException("use --set alone, or --add/--remove")
    with _unit_of_work() as (_runtime, session):
        user = _find_user(session, username)
        before = sorted(user.role_names)
        if set_roles_ or add or remove:
            wanted = set(set_roles_) if set_roles_ else (set(before) | set(add)) - set(remove)
            if not wanted:
                raise click.ClickException(
                    "a user keeps at least one role; to stop someone signing in, disable them"
                )
            set_roles(session, user, sorted(wanted), actor=_actor())
            session.refresh(user)
        document: dict[str, Any] = {
            "id": user.id,
            "username": user.username,
            "before": before,
            "roles": sorted(user.role_names),
        }
    if as_json:
        emit_json(document)
    else:
        click.echo(f"{document['username']}: {', '.join(document['roles'])}")


def _user_action(
    name: str, help_text: str, act: Callable[[Session, User, Principal, str | None], Any]
) -> click.Command:
    @click.argument("username")
    @click.option("--reason", help="Why (recorded in the custody event).")
    @_json_option
    def command(username: str, reason: str | None, as_json: bool) -> None:
        with _unit_of_work() as (_runtime, session):
            user = _find_user(session, username)
            result = act(session, user, _actor(), reason)
            document: dict[str, Any] = {"id": user.id, "username": user.username, "done": name}
            if isinstance(result, int):
                document["sessions_ended"] = result
        if as_json:
            emit_json(document)
        else:
            extra = (
                f" ({document['sessions_ended']} sessions ended)"
                if "sessions_ended" in document
                else ""
            )
            click.echo(f"{name}: {document['username']}{extra}")

    command.__doc__ = help_text
    return users.command(name)(command)


def _disable(session: Session, user: User, actor: Principal, reason: str | None) -> int:
    from sunlight.access.users import disable_user

    return disable_user(session, user, actor=actor, reason=reason)


def _enable(session: Session, user: User, actor: Principal, reason: str | None) -> None:
    from sunlight.access.users import enable_user

    enable_user(session, user, actor=actor)


def _unlock(session: Session, user: User, actor: Principal, reason: str | None) -> None:
    from sunlight.access.users import unlock_user

    unlock_user(session, user, actor=actor)


def _reset_mfa(session: Session, user: User, actor: Principal, reason: str | None) -> int:
    from sunlight.access.users import reset_mfa

    return reset_mfa(session, user, actor=actor, reason=reason)


def _end_sessions(session: Session, user: User, actor: Principal, reason: str | None) -> int:
    from sunlight.access.users import end_sessions

    return end_sessions(session, user, actor=actor, reason=reason or "ended by an administrator")


_user_action("disable", "Disable USERNAME: they cannot sign in; their sessions end.", _disable)
_user_action("enable", "Enable USERNAME again.", _enable)
_user_action("unlock", "Unlock USERNAME after too many failed sign-ins.", _unlock)
_user_action(
    "reset-mfa",
    "Remove USERNAME's second factors (TOTP, recovery codes, passkeys); they enrol again.",
    _reset_mfa,
)
_user_action("end-sessions", "Sign USERNAME out everywhere.", _end_sessions)


# -- agencies ---------------------------------------------------------------------------


def agency_document(agency: Agency, units: list[Unit]) -> dict[str, Any]:
    return {
        "id": agency.id,
        "name": agency.name,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "default_investigator": agency.is_default,
        "units": [u.name for u in units if u.agency_id == agency.id],
    }


@click.group()
def agencies() -> None:
    """Agencies (the department, investigators, prosecutors, oversight) and their units."""


@agencies.command("create")
@click.argument("name")
@click.option("--short", "short_name", required=True, help="Short name, e.g. MSHP.")
@click.option(
    "--kind",
    required=True,
    help="department, investigator, prosecutor, oversight or other: what the agency is to "
    "the department (the access policy reads it).",
)
@_json_option
def agencies_create(name: str, short_name: str, kind: str, as_json: bool) -> None:
    """Add an agency called NAME."""
    from sunlight.access.agencies import create_agency

    with _unit_of_work() as (_runtime, session):
        agency = create_agency(
            session, name=name, short_name=short_name, kind=kind, actor=_actor().id
        )
        document = agency_document(agency, [])
    if as_json:
        emit_json(document)
    else:
        click.echo(f"created agency {document['id']}: {document['name']} ({document['kind']})")


@agencies.command("list")
@_json_option
def agencies_list(as_json: bool) -> None:
    """Every agency with its kind and units."""
    from sunlight.access.agencies import list_agencies, list_units

    with _reading() as session:
        units = list_units(session)
        documents = [agency_document(a, units) for a in list_agencies(session)]
    if as_json:
        emit_json(documents)
        return
    for d in documents:
        default = " (default investigator)" if d["default_investigator"] else ""
        click.echo(f"{d['id']:>3} {d['short_name']:<6} {d['kind']:<12} {d['name']}{default}")
        for unit in d["units"]:
            click.echo(f"      - {unit}")


@agencies.group("units")
def agency_units() -> None:
    """Units inside an agency."""


@agency_units.command("add")
@click.argument("agency")
@click.argument("unit")
@_json_option
def units_add(agency: str, unit: str, as_json: bool) -> None:
    """Add UNIT to AGENCY (its short name)."""
    from sunlight.access.agencies import add_unit, find_agency

    with _unit_of_work() as (_runtime, session):
        found = find_agency(session, agency)
        row = add_unit(session, found, unit, actor=_actor().id)
        document = {"id": row.id, "agency": found.short_name, "unit": row.name}
    if as_json:
        emit_json(document)
    else:
        click.echo(f"added unit {document['unit']!r} to {document['agency']}")


@agency_units.command("list")
@click.argument("agency", required=False)
@_json_option
def units_list(agency: str | None, as_json: bool) -> None:
    """Units, of one agency or all."""
    from sunlight.access.agencies import find_agency, list_agencies, list_units

    with _reading() as session:
        agency_id = find_agency(session, agency).id if agency else None
        names = {a.id: a.short_name for a in list_agencies(session)}
        documents = [
            {"id": u.id, "agency": names[u.agency_id], "unit": u.name}
            for u in list_units(session, agency_id)
        ]
    if as_json:
        emit_json(documents)
        return
    for d in documents:
        click.echo(f"{d['agency']:<6} {d['unit']}")


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
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "last_used_at": _iso(token.last_used_at),
        "revoked_at": _iso(token.revoked_at),
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
@_json_option
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

    with _unit_of_work() as (_runtime, session):
        agency_id = find_agency(session, agency).id if agency else None
        token, raw = create_token(
            session,
            name=name,
            permissions=list(permissions) or None,
            actor=_actor(),
            agency_id=agency_id,
            expires_days=expires_days if expires_days is not None else DEFAULT_DAYS,
        )
        token_id = token.id
        granted = list(token.permissions)
        expires_at = _iso(token.expires_at)
    if as_json:
        emit_json({"id": token_id, "token": raw})
        return
    click.echo(f"token:{token_id} {name!r}: {', '.join(granted)}; expires {expires_at or 'never'}")
    click.echo(f"token (shown once): {raw}")


@tokens.command("list")
@_json_option
def tokens_list(as_json: bool) -> None:
    """Tokens (never their values): permissions, expiry, last use, revoked or not."""
    from sunlight.access.tokens import list_tokens

    with _reading() as session:
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
@_json_option
def tokens_revoke(token_id: str, as_json: bool) -> None:
    """Revoke token TOKEN_ID (a number, or token:NUMBER) at once."""
    from sunlight.access.tokens import revoke_token
    from sunlight.validation import MAX_ID

    number = token_id.removeprefix("token:")
    if not (number.isascii() and number.isdigit() and 1 <= int(number) <= MAX_ID):
        raise click.ClickException(f"not a token id: {token_id!r} (see `sunlight tokens list`)")
    with _unit_of_work() as (_runtime, session):
        token = revoke_token(session, int(number), actor=_actor())
        document = token_document(token)
    if as_json:
        emit_json(document)
    else:
        click.echo(f"revoked token:{number}")

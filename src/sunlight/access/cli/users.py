"""`sunlight users ...`: create accounts, change roles, move to another agency, disable, unlock,
reset MFA, end sessions, and list the roles held where the access policy does not allow them."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from sunlight.cli.common import emit_json

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sunlight.access.models import User
    from sunlight.access.principal import Principal

from sunlight.access.cli.common import cli_actor, iso, json_option, reading, unit_of_work

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
        "last_sign_in": iso(status.last_sign_in),
        "created_at": iso(user.created_at),
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
@json_option
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
    with unit_of_work() as (_runtime, session):
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
            actor=cli_actor(),
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
@json_option
def users_list(agency: str | None, as_json: bool) -> None:
    """Users with their agency, unit, roles, MFA and lock status, and last sign-in."""
    from sunlight.access.agencies import find_agency
    from sunlight.access.users import list_users

    with reading() as session:
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
@json_option
def users_show(username: str, as_json: bool) -> None:
    """One user."""
    with reading() as session:
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
@json_option
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
    with unit_of_work() as (_runtime, session):
        user = _find_user(session, username)
        before = sorted(user.role_names)
        if set_roles_ or add or remove:
            wanted = set(set_roles_) if set_roles_ else (set(before) | set(add)) - set(remove)
            if not wanted:
                raise click.ClickException(
                    "a user keeps at least one role; to stop someone signing in, disable them"
                )
            set_roles(session, user, sorted(wanted), actor=cli_actor())
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


@users.command("move")
@click.argument("username")
@click.option("--agency", required=True, help="The agency to move to (short name).")
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="The roles they hold there (repeat; default: the roles they hold now).",
)
@click.option("--unit", help="Their unit in the new agency (default: none).")
@json_option
def users_move(
    username: str, agency: str, roles: tuple[str, ...], unit: str | None, as_json: bool
) -> None:
    """Move USERNAME to another agency. Refused, changing nothing, if they would hold a role
    that agency's kind may not hold under the access policy: give the roles they hold there
    with --role."""
    from sunlight.access.agencies import find_agency
    from sunlight.access.users import move_user

    with unit_of_work() as (_runtime, session):
        user = _find_user(session, username)
        before = user.agency.short_name
        found = find_agency(session, agency)
        move_user(session, user, found, roles=list(roles) or None, unit=unit, actor=cli_actor())
        document = {**user_document(session, user), "agency_before": before}
    if as_json:
        emit_json(document)
    else:
        click.echo(
            f"{document['username']}: {before} -> {document['agency']}"
            f" (roles: {', '.join(document['roles'])})"
        )


@users.command("check-roles")
@json_option
def users_check_roles(as_json: bool) -> None:
    """List the accounts holding a role their agency's kind may not hold under the access
    policy in force (it grants them nothing); exit status 1 if there are any."""
    from sunlight.access.users import misplaced_roles

    with reading() as session:
        found: list[dict[str, Any]] = [
            {
                "id": user.id,
                "username": user.username,
                "agency": user.agency.short_name,
                "agency_kind": user.agency.kind,
                "roles": refused,
            }
            for user, refused in misplaced_roles(session)
        ]
    if as_json:
        emit_json(found)
    else:
        for d in found:
            click.echo(
                f"{d['username']:<20} {d['agency']:<6} ({d['agency_kind']}) may not hold: "
                f"{', '.join(d['roles'])}"
            )
        if not found:
            click.echo("every role is held in an agency that may hold it")
    if found:
        sys.exit(1)


def _user_action(
    name: str, help_text: str, act: Callable[[Session, User, Principal, str | None], Any]
) -> click.Command:
    @click.argument("username")
    @click.option("--reason", help="Why (recorded in the custody event).")
    @json_option
    def command(username: str, reason: str | None, as_json: bool) -> None:
        with unit_of_work() as (_runtime, session):
            user = _find_user(session, username)
            result = act(session, user, cli_actor(), reason)
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

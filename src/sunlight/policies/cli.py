"""`sunlight policies list|show|propose|comments|moderate|decide`: the published policies,
their version history, proposals and the public's comments, from the server's shell."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from sunlight.cli.common import emit_json, open_runtime
from sunlight.errors import SunlightError


def _operator() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "operator"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def policies() -> None:
    """Published policies: versions, proposals, public comments and decisions."""


@policies.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(as_json: bool) -> None:
    """Each policy with its current version and any open proposal."""
    from sunlight.policies import views

    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            items = views.policy_list(session)
    finally:
        runtime.close()
    if as_json:
        emit_json([item.model_dump(mode="json") for item in items])
        return
    for item in items:
        live = item.current
        line = f"{item.name:<12} "
        line += f"v{live.version} {live.sha256[:12]}" if live else "(none recorded)"
        if item.proposed:
            line += f"  proposed v{item.proposed.version} from {item.proposed.effective_at}"
        click.echo(line)


@policies.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def show_command(name: str, as_json: bool) -> None:
    """One policy's version history and proposals."""
    from sunlight.policies import views

    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            found = views.policy_detail(session, name, _now())
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()
    if as_json:
        emit_json(found.model_dump(mode="json"))
        return
    click.echo(f"{found.title} ({found.name})")
    for v in found.history:
        click.echo(f"  v{v.version:<14} {v.status:<11} effective {v.effective_at}  {v.sha256}")
    for p in found.proposals:
        v = p.version
        state = v.status + (f", decided: {v.decision}" if v.decision else "")
        click.echo(f"  proposal v{v.version} ({state}) effective {v.effective_at}: {v.summary}")


@policies.command("propose")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective", required=True, help="The date it would take effect (YYYY-MM-DD).")
@click.option("--summary", required=True, help="What changes and why, for the public.")
def propose_command(name: str, file: Path, effective: str, summary: str) -> None:
    """Propose FILE as the next version of policy NAME, open for public comment until the
    effective date. FILE is checked with the same schema as the live file."""
    from sunlight.access.principal import Principal
    from sunlight.policies import service
    from sunlight.policies.registry import check_file

    try:
        when = dt.date.fromisoformat(effective)
    except ValueError as exc:
        raise click.BadParameter("not a date (YYYY-MM-DD)", param_hint="--effective") from exc
    runtime = open_runtime()
    try:
        checked = check_file(name, file)
        with runtime.db.session() as session:
            row = service.propose(
                session,
                name,
                checked,
                effective=when,
                summary=summary,
                actor=Principal.cli(operator=_operator()).id,
                now=_now(),
            )
            click.echo(
                f"Proposed {name} version {row.version} ({row.sha256}), effective "
                f"{row.effective_at}: open for comment at /public/policies/{name}"
            )
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


@policies.command("comments")
@click.argument("name")
@click.argument("version")
@click.option("--status", type=click.Choice(["pending", "approved", "rejected"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def comments_command(name: str, version: str, status: str | None, as_json: bool) -> None:
    """The public's comments on a proposed VERSION of NAME (all, or by --status)."""
    from sunlight.policies import service, views

    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            row = service.get_version(session, name, version)
            found = [
                views.staff_comment(c) for c in service.comments(session, row.id, status=status)
            ]
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()
    if as_json:
        emit_json([c.model_dump(mode="json") for c in found])
        return
    for c in found:
        click.echo(f"#{c.id} [{c.status}] {c.name or 'anonymous'}: {c.body}")
        if c.response:
            click.echo(f"    response: {c.response}")


@policies.command("moderate")
@click.argument("comment_id", type=int)
@click.argument("status", type=click.Choice(["approved", "rejected"]))
@click.option("--response", default=None, help="The department's response, published with it.")
def moderate_command(comment_id: int, status: str, response: str | None) -> None:
    """Approve (publish) or reject the comment COMMENT_ID."""
    from sunlight.access.principal import Principal
    from sunlight.policies import service

    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            service.moderate(
                session,
                comment_id,
                status=status,
                response=response,
                actor=Principal.cli(operator=_operator()).id,
                now=_now(),
            )
        click.echo(f"comment {comment_id}: {status}")
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


@policies.command("decide")
@click.argument("name")
@click.argument("version")
@click.argument("decision", type=click.Choice(["adopt", "withdraw"]))
@click.option("--reason", required=True, help="Why, published with the decision.")
def decide_command(name: str, version: str, decision: str, reason: str) -> None:
    """Decide on a proposal. `adopt` records the decision; the version is adopted when the
    operator installs the file and serve starts with it. `withdraw` ends the proposal."""
    from sunlight.access.principal import Principal
    from sunlight.policies import service

    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            row = service.decide(
                session,
                service.get_version(session, name, version),
                decision=decision,
                reason=reason,
                actor=Principal.cli(operator=_operator()).id,
                now=_now(),
            )
            click.echo(f"{name} version {row.version}: {decision} ({row.status})")
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()

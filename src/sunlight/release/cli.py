"""`sunlight releases list|show|order|confirm-order`: release cases and their clocks, and
court orders (recorded by one person, confirmed by another), from the server's shell.

The domain imports sit inside the commands, as in the other command groups: `sunlight --help`
loads this module and should not pay for the release domain. None of them hides a cycle; the
case view comes from ``release.views`` (domain), never from the web layer."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from sunlight.cli.common import emit_json, open_runtime


@click.group()
def releases() -> None:
    """Release cases: state, release authority and clocks (computed now)."""


@releases.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(as_json: bool) -> None:
    """Every release case with its state, authority and clock."""
    from sunlight.release.clocks import compute
    from sunlight.release.policy import load_release_policy
    from sunlight.release.service import list_cases

    runtime = open_runtime()
    now = datetime.now(UTC)
    policy = load_release_policy().policy
    rows = []
    with runtime.db.session(read_only=True) as session:
        for case, incident in list_cases(session):
            clock = compute(case, incident, policy.rule_for(incident.type), policy, now)
            rows.append(
                {
                    "incident_id": incident.id,
                    "cad_number": incident.cad_number,
                    "state": case.state,
                    "authority": clock.authority.name,
                    "due_at": clock.due_at.isoformat(),
                    "days_left": clock.days_left,
                    "overdue": clock.overdue,
                    "summary": clock.summary,
                }
            )
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        late = "OVERDUE" if row["overdue"] else f"{row['days_left']} days left"
        click.echo(
            f"{row['cad_number']:<16} {row['state']:<24} {row['authority']:<32} {late:<16} "
            f"{row['summary']}"
        )


@releases.command("show")
@click.argument("incident_id", type=int)
def show_command(incident_id: int) -> None:
    """One incident's release case as JSON (timeline, candidates, releases, clock)."""
    from sunlight.release.views import case_view

    runtime = open_runtime()
    emit_json(case_view(runtime, incident_id, datetime.now(UTC)).model_dump(mode="json"))


@releases.command("order")
@click.argument("petition_id", type=int)
@click.option("--outcome", type=click.Choice(["release", "deny", "conditions"]), required=True)
@click.option("--ordered-on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
@click.option("--conditions", default=None, help="The order's conditions (outcome conditions).")
@click.option(
    "--candidate", "candidate_ids", type=int, multiple=True, help="A reviewed copy to release."
)
def order_command(
    petition_id: int,
    outcome: str,
    ordered_on: datetime,
    conditions: str | None,
    candidate_ids: tuple[int, ...],
) -> None:
    """Record the court's order on a petition. It stays unconfirmed, and releases nothing,
    until another person confirms it (`sunlight releases confirm-order`)."""
    from sunlight.access.principal import Principal
    from sunlight.errors import SunlightError
    from sunlight.release import service

    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            recorded = service.record_order(
                session,
                petition_id,
                principal=Principal.cli(),
                outcome=outcome,
                ordered_on=ordered_on.date(),
                conditions=conditions,
                candidate_ids=list(candidate_ids),
                now=datetime.now(UTC),
            )
            click.echo(
                f"court order {recorded.id} recorded by {recorded.recorded_by}: "
                f"{recorded.outcome}; awaiting a second person's confirmation"
            )
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()


@releases.command("confirm-order")
@click.argument("order_id", type=int)
def confirm_order_command(order_id: int) -> None:
    """Confirm a court order someone else recorded (two-person rule): a confirmed order to
    release publishes the copies it names. Recorded under this shell account's name, which
    must differ from the one that recorded the order."""
    from sunlight.access.principal import Principal
    from sunlight.errors import Forbidden, SunlightError
    from sunlight.release import service

    runtime = open_runtime()
    principal = Principal.cli()
    now = datetime.now(UTC)
    try:
        try:
            with runtime.db.session() as session:
                confirmed = service.confirm_order(session, order_id, principal=principal, now=now)
                click.echo(
                    f"court order {confirmed.id} ({confirmed.outcome}) confirmed by "
                    f"{confirmed.confirmed_by}"
                )
        except Forbidden as refused:
            with runtime.db.session() as session:
                service.record_refused_confirmation(
                    session, order_id, principal=principal, why=refused.message, now=now
                )
            raise
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()

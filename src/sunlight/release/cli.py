"""`sunlight releases list|show`: release cases and their clocks, from the server's shell.

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

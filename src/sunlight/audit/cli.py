"""`sunlight refusals`: the refusal tallies (refusals that named no resource), newest
minute first, from the server's shell."""

from __future__ import annotations

import click

from sunlight.cli.common import emit_json, open_runtime


@click.command("refusals")
@click.option("--actor", default=None, help="Only this actor (user:12, token:4, public).")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def refusals(actor: str | None, limit: int, as_json: bool) -> None:
    """Refused requests that named no resource, counted per actor, permission, route and
    minute (a signed-in actor's minute also has its custody event)."""
    from sunlight.audit.refusals import tallies

    runtime = open_runtime()
    with runtime.db.session(read_only=True) as session:
        rows = [
            {
                "minute": t.minute.isoformat(),
                "actor": t.actor,
                "permission": t.permission,
                "route": t.route,
                "count": t.count,
                "last_at": t.last_at.isoformat(),
                "event_id": t.event_id,
            }
            for t in tallies(session, actor=actor, limit=limit)
        ]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        event = f"event {row['event_id']}" if row["event_id"] is not None else "tally only"
        click.echo(
            f"{row['minute']:<26} {row['actor']:<16} {row['permission']:<24} "
            f"{row['count']:>6}  {row['route']}  ({event})"
        )

"""`sunlight requests`: records requests under the Missouri Sunshine Law (RSMo 610.023)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from sunlight.access.principal import Principal
from sunlight.cli.common import emit_json, open_runtime
from sunlight.errors import InvalidInput, NotFound, SunlightError
from sunlight.requests import service
from sunlight.requests.calendar import default_calendar
from sunlight.requests.clock import MAX_BUSINESS_DAYS, SUNSHINE_BUSINESS_DAYS, deadline
from sunlight.requests.states import parse_status


@click.group()
def requests() -> None:
    """Records requests under the Missouri Sunshine Law (RSMo 610.023)."""


class IsoDateTime(click.ParamType[datetime]):
    name = "ISO-DATETIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 date and time (e.g. 2026-12-03T16:30, "
                "2026-12-03T22:30:00Z or 2026-12-03T16:30-06:00)",
                param,
                ctx,
            )


@requests.command("deadline")
@click.option(
    "--received",
    "received",
    required=True,
    type=IsoDateTime(),
    help="When the custodian received the request. Without an offset it is Kansas City "
    "time (the holidays file's time zone); with an offset or Z it is converted.",
)
@click.option(
    "--business-days",
    default=SUNSHINE_BUSINESS_DAYS,
    show_default=True,
    type=click.IntRange(0, MAX_BUSINESS_DAYS),
    help="Business days after the day of receipt (RSMo 610.023.3: three).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def deadline_command(received: datetime, business_days: int, as_json: bool) -> None:
    """When a request received at --received must be acted on, with the arithmetic: which
    days counted and which were skipped, and why (weekends, Missouri state holidays)."""
    calendar = default_calendar()
    if received.tzinfo is None:
        received = received.replace(tzinfo=calendar.tz)
    try:
        result = deadline(received, business_days, calendar=calendar)
    except InvalidInput as exc:
        raise click.BadParameter(exc.message, param_hint="--received") from exc
    if as_json:
        emit_json(result.to_json())
        return
    for line in result.explain():
        click.echo(line)


# -- working requests from the command line ------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


@requests.command("list")
@click.option("--all", "include_closed", is_flag=True, help="Include closed requests.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(include_closed: bool, as_json: bool) -> None:
    """The staff queue: earliest due first, overdue and due-soon marked."""
    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            rows = service.queue(session, now=_now(), include_closed=include_closed)
            found: list[dict[str, Any]] = [
                {
                    "id": r.id,
                    "tracking_number": r.tracking_number,
                    "requester_type": r.requester_type,
                    "received_date": r.received_date.isoformat(),
                    "status": r.status,
                    "clock": c.to_json(),
                }
                for r, c in rows
            ]
    finally:
        runtime.close()
    if as_json:
        emit_json(found)
        return
    for row in found:
        due = row["clock"]["due"] or "paused"
        click.echo(
            f"{row['tracking_number']}  {row['status']:<24} due {due} ({row['clock']['state']}, "
            f"{row['clock']['kind']})  received {row['received_date']}  {row['requester_type']}"
        )
    if not found:
        click.echo("No open requests.")


@requests.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def show_command(ref: str, as_json: bool) -> None:
    """One request (by id or tracking number) with its clocks and timeline."""
    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            try:
                r = service.resolve(session, ref)
            except NotFound as exc:
                raise click.ClickException(exc.message) from exc
            now = _now()
            document: dict[str, Any] = {
                "id": r.id,
                "tracking_number": r.tracking_number,
                "status": r.status,
                "requester_type": r.requester_type,
                "requester_name": r.requester_name,
                "received_at": r.received_at.isoformat(),
                "received_date": r.received_date.isoformat(),
                "description": r.description,
                "clocks": [c.to_json() for c in service.clocks_of(r, now=now)],
                "items": [
                    {"incident_id": i.incident_id, "recording_id": i.recording_id, "why": i.why}
                    for i in r.items
                    if i.removed_at is None
                ],
                "timeline": [
                    {
                        "at": e.at.isoformat(),
                        "actor": e.actor,
                        "kind": e.kind,
                        "public_text": e.public_text,
                        "staff_text": e.staff_text,
                    }
                    for e in r.events
                ],
            }
    finally:
        runtime.close()
    if as_json:
        emit_json(document)
        return
    click.echo(f"{document['tracking_number']}: {document['status']}")
    for c in document["clocks"]:
        click.echo(f"  {c['kind']} clock: due {c['due'] or 'paused'} ({c['state']}) {c['note']}")
    for e in document["timeline"]:
        text = e["public_text"] or e["staff_text"] or ""
        click.echo(f"  {e['at']}  {e['kind']:<20} {e['actor']}: {text}")


@requests.command("transition")
@click.argument("ref")
@click.argument("status")
@click.option("--message", help="To the requester: question, delay explanation, denial reason.")
@click.option(
    "--available-at",
    type=IsoDateTime(),
    help="Delay: the earliest date and time the record is available (Kansas City if no offset).",
)
@click.option("--provision", help="Denial: the provision cited, e.g. 'RSMo 610.100.2(1)'.")
@click.option("--note", help="A note for staff only.")
@click.option("--operator", default=None, help="Who is acting (recorded as cli:OPERATOR).")
def transition_command(
    ref: str,
    status: str,
    message: str | None,
    available_at: datetime | None,
    provision: str | None,
    note: str | None,
    operator: str | None,
) -> None:
    """Change a request's status (the allowed changes are in docs/requests.md)."""
    if available_at is not None and available_at.tzinfo is None:
        available_at = available_at.replace(tzinfo=default_calendar().tz)
    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            r = service.resolve(session, ref)
            service.transition(
                session,
                r,
                parse_status(status),
                actor=Principal.cli(operator=operator).id,
                now=_now(),
                message=message,
                available_at=available_at,
                provision=provision,
                staff_note=note,
            )
            click.echo(f"{r.tracking_number}: {r.status}")
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()

"""`sunlight requests`: records requests under the Missouri Sunshine Law (RSMo 610.023)."""

from __future__ import annotations

from datetime import datetime

import click

from sunlight.cli.common import emit_json
from sunlight.errors import InvalidInput
from sunlight.requests.calendar import default_calendar
from sunlight.requests.clock import MAX_BUSINESS_DAYS, SUNSHINE_BUSINESS_DAYS, deadline


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

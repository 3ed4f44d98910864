"""`sunlight outbox list|send|retry`: the email outbox (docs/operators.md, "Email")."""

from __future__ import annotations

import click

from sunlight.access import Principal
from sunlight.cli.common import emit_json, open_runtime
from sunlight.config import ConfigError
from sunlight.db.base import utcnow
from sunlight.errors import SunlightError
from sunlight.notify import outbox as service
from sunlight.notify.models import OutboxStatus
from sunlight.notify.smtp import SmtpSender
from sunlight.notify.views import listing


@click.group()
def outbox() -> None:
    """The durable email outbox: what is queued, sent or failed, and sending it now."""


@outbox.command("list")
@click.option("--status", type=click.Choice([s.value for s in OutboxStatus]), default=None)
@click.option("--topic", default=None, help='Only messages about this, e.g. "request:42".')
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def list_command(status: str | None, topic: str | None, limit: int, as_json: bool) -> None:
    """The newest messages, with their status, attempts and last error. Private links in
    a subject, body or error are masked (the JSON's ``body`` is the masked body)."""
    runtime = open_runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            found = listing(session, status=status, topic=topic, limit=limit)
    finally:
        runtime.close()
    if as_json:
        emit_json(found.model_dump(mode="json"))
        return
    counts = found.counts
    click.echo(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "the outbox is empty")
    for row in found.messages:
        click.echo(f"{row.id:>6} {row.status:<8} {row.topic:<16} {row.to}: {row.subject}")
        if row.last_error and row.status != OutboxStatus.SENT:
            click.echo(f"       attempts {row.attempts}; {row.last_error}")


@outbox.command("send")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def send_command(limit: int, as_json: bool) -> None:
    """Send what is due now (what `serve` does every 10 seconds)."""
    try:
        sender = SmtpSender.from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    runtime = open_runtime()
    try:
        report = service.deliver_due(runtime, sender, now=utcnow(), limit=limit)
    finally:
        runtime.close()
    if as_json:
        emit_json(report.to_dict())
        return
    if report.waiting:
        click.echo(report.waiting)
        return
    click.echo(
        f"sent {len(report.sent)}, retrying {len(report.retrying)}, failed {len(report.failed)}"
    )
    if report.stopped:
        click.echo(f"stopped: {report.stopped}", err=True)


@outbox.command("retry")
@click.argument("message_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--operator", default=None, help="Who is acting (recorded as cli:OPERATOR).")
def retry_command(message_id: int, operator: str | None) -> None:
    """Queue a failed message again (after fixing the address or the mail server); the
    custody log records it as mail.retried."""
    runtime = open_runtime()
    try:
        with runtime.db.session() as session:
            actor = Principal.cli(operator=operator).id
            service.retry(session, message_id, now=utcnow(), actor=actor)
    except SunlightError as exc:
        raise click.ClickException(exc.message) from exc
    finally:
        runtime.close()
    click.echo(f"outbox message {message_id} queued again")

"""`sunlight retention ...`: the retention run and the published policy."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from sunlight.errors import InvalidInput
from sunlight.retention.policy import PolicyError
from sunlight.validation import parse_date


def _runtime() -> Any:
    from sunlight.config import ConfigError, load_settings
    from sunlight.runtime import start

    try:
        return start(load_settings().with_overrides(worker_mode="eager"))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _emit(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


@click.group()
def retention() -> None:
    """Retention schedule: dry-run reports, scheduled deletions, the published policy."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Report what would happen; change nothing.")
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="With --dry-run: report the schedule as on this day (YYYY-MM-DD, default today, "
    "UTC). A real run always uses the present time.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def run_command(dry_run: bool, as_of: str | None, as_json: bool) -> None:
    """Schedule deletions that the policy calls for and delete those past their grace period.

    Recordings that no incident claims count as non-evidentiary. Every step is a custody
    event; every deletion leaves a tombstone event with the recording's SHA-256.
    """
    from sunlight.retention import service

    if as_of is not None and not dry_run:
        # Deletion happens on the schedule's own clock, never on a day someone names.
        raise click.UsageError(
            "--as-of needs --dry-run: a real retention run always uses the present time"
        )
    try:
        day = parse_date(as_of, "--as-of") if as_of else None
    except InvalidInput as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc
    from sunlight.access.principal import Principal

    runtime = _runtime()
    try:
        report = service.run(runtime, as_of=day, dry_run=dry_run, actor=Principal.cli().id)
    finally:
        runtime.close()
    if as_json:
        _emit(report.to_dict())
    else:
        verb = "would" if dry_run else "will"
        click.echo(
            f"retention as of {report.as_of} (policy v{report.policy_version}"
            f"{', dry run' if dry_run else ''})"
        )
        for item in report.to_schedule:
            click.echo(
                f"  schedule  recording {item['recording_id']} ({item['filename']}): "
                f"{item['rule']}, due {item['delete_on']}; {verb} be deleted after "
                f"{item['grace_until']} unless undone"
            )
        for item in report.to_delete:
            click.echo(
                f"  delete    recording {item['recording_id']} sha256 {item['sha256']}: "
                f"{item['rule']} (grace period ended {item['grace_until']})"
            )
        for item in report.blocked:
            click.echo(f"  kept      recording {item['recording_id']}: {item['blocked_by']}")
        for item in report.cancelled:
            click.echo(f"  cancelled recording {item['recording_id']}: {item['reason']}")
        counts = report.to_dict()["counts"]
        click.echo("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
    if report.errors:
        sys.exit(1)


@retention.command("policy")
@click.option("--json", "as_json", is_flag=True, help="Print the validated policy as JSON.")
def policy_command(as_json: bool) -> None:
    """Validate and print the published retention policy."""
    from sunlight.retention.policy import load_policy

    try:
        loaded = load_policy()
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        _emit({"path": loaded.path, "sha256": loaded.sha256, **loaded.policy.model_dump()})
    else:
        click.echo(loaded.text, nl=False)

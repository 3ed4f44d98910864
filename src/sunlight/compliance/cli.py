"""`sunlight import cad|use-of-force FILE` and `sunlight compliance report`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click


def _runtime() -> Any:
    from sunlight.config import ConfigError, load_settings
    from sunlight.runtime import start

    try:
        return start(load_settings().with_overrides(worker_mode="eager"))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _emit(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=str))


@click.command("import")
@click.argument("kind", type=click.Choice(["cad", "use-of-force"]))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def import_command(kind: str, file: Path, as_json: bool) -> None:
    """Import CAD calls or use-of-force reports from a CSV file (format: docs/compliance.md).

    All or nothing: every bad row is reported with its row and line number and nothing of
    the file is imported. Rows already imported (same CAD or report number) are skipped.
    """
    from sunlight.access.principal import Principal
    from sunlight.compliance.imports import import_all_or_nothing

    runtime = _runtime()
    try:
        result = import_all_or_nothing(
            runtime.db, kind, file.read_bytes(), actor=Principal.cli().id
        )
    finally:
        runtime.close()
    if as_json:
        _emit({"file": str(file), **result.to_dict()})
    elif result.imported:
        click.echo(
            f"imported {file.name}: {result.rows} rows, {result.created} created, "
            f"{result.updated} updated, {result.skipped} already present"
        )
    else:
        click.echo(f"{file.name}: nothing imported; fix these and run again:", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
    if not result.imported:
        sys.exit(1)


@click.group()
def compliance() -> None:
    """Camera compliance: footage gaps, late uploads, uncategorised recordings."""


@compliance.command("report")
@click.option("--month", metavar="YYYY-MM", help="Month to report on (default: last month).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def report_command(month: str | None, as_json: bool) -> None:
    """Incidents that should have footage and have none, late uploads and uncategorised
    recordings, per unit, officer and month. The `public` part names nobody."""
    from sunlight.compliance.service import Month, report
    from sunlight.errors import InvalidInput
    from sunlight.evidence.service import InvalidChange
    from sunlight.validation import check_date

    try:
        which = Month.parse(month) if month else Month.previous()
        check_date(date(which.year, which.month, 1), "--month")
    except (InvalidChange, InvalidInput) as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from exc
    runtime = _runtime()
    try:
        with runtime.db.session(read_only=True) as session:
            document = report(session, which)
    finally:
        runtime.close()
    if as_json:
        _emit(document)
        return
    totals = document["totals"]
    click.echo(f"compliance report for {document['month']}")
    click.echo(
        f"  incidents {totals['incidents']}, officer footage expected "
        f"{totals['expected_footage']}, missing {totals['missing_footage']}; "
        f"recordings {totals['recordings']}, late "
        f"{totals['late_uploads']}, uncategorised {totals['uncategorised']}"
    )
    for item in document["incidents_without_footage"]:
        click.echo(f"  no footage: incident {item['cad_number']} ({item['type']}, {item['unit']})")
    for item in document["officers_without_footage"]:
        click.echo(
            f"  officer without footage: {item['badge_number']} {item['name']} in "
            f"{item['cad_number']}"
        )
    for item in document["late_uploads"]:
        click.echo(f"  late upload: recording {item['recording_id']} ({item['hours_late']} h late)")
    click.echo(f"  uncategorised recordings: {len(document['uncategorised'])}")
    for unit, counts in document["by_unit"].items():
        click.echo(f"  {unit}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))

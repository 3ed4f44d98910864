"""`sunlight agencies ...`: the agencies (tenants of access control) and their units."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from sunlight.cli.common import emit_json

if TYPE_CHECKING:
    from sunlight.access.models import Agency, Unit

from sunlight.access.cli.common import cli_actor, json_option, reading, unit_of_work

# -- agencies ---------------------------------------------------------------------------


def agency_document(agency: Agency, units: list[Unit]) -> dict[str, Any]:
    return {
        "id": agency.id,
        "name": agency.name,
        "short_name": agency.short_name,
        "kind": agency.kind,
        "default_investigator": agency.is_default,
        "units": [u.name for u in units if u.agency_id == agency.id],
    }


@click.group()
def agencies() -> None:
    """Agencies (the department, investigators, prosecutors, oversight) and their units."""


@agencies.command("create")
@click.argument("name")
@click.option("--short", "short_name", required=True, help="Short name, e.g. MSHP.")
@click.option(
    "--kind",
    required=True,
    help="department, investigator, prosecutor, oversight or other: what the agency is to "
    "the department (the access policy reads it).",
)
@json_option
def agencies_create(name: str, short_name: str, kind: str, as_json: bool) -> None:
    """Add an agency called NAME."""
    from sunlight.access.agencies import create_agency

    with unit_of_work() as (_runtime, session):
        agency = create_agency(
            session, name=name, short_name=short_name, kind=kind, actor=cli_actor().id
        )
        document = agency_document(agency, [])
    if as_json:
        emit_json(document)
    else:
        click.echo(f"created agency {document['id']}: {document['name']} ({document['kind']})")


@agencies.command("list")
@json_option
def agencies_list(as_json: bool) -> None:
    """Every agency with its kind and units."""
    from sunlight.access.agencies import list_agencies, list_units

    with reading() as session:
        units = list_units(session)
        documents = [agency_document(a, units) for a in list_agencies(session)]
    if as_json:
        emit_json(documents)
        return
    for d in documents:
        default = " (default investigator)" if d["default_investigator"] else ""
        click.echo(f"{d['id']:>3} {d['short_name']:<6} {d['kind']:<12} {d['name']}{default}")
        for unit in d["units"]:
            click.echo(f"      - {unit}")


@agencies.group("units")
def agency_units() -> None:
    """Units inside an agency."""


@agency_units.command("add")
@click.argument("agency")
@click.argument("unit")
@json_option
def units_add(agency: str, unit: str, as_json: bool) -> None:
    """Add UNIT to AGENCY (its short name)."""
    from sunlight.access.agencies import add_unit, find_agency

    with unit_of_work() as (_runtime, session):
        found = find_agency(session, agency)
        row = add_unit(session, found, unit, actor=cli_actor().id)
        document = {"id": row.id, "agency": found.short_name, "unit": row.name}
    if as_json:
        emit_json(document)
    else:
        click.echo(f"added unit {document['unit']!r} to {document['agency']}")


@agency_units.command("list")
@click.argument("agency", required=False)
@json_option
def units_list(agency: str | None, as_json: bool) -> None:
    """Units, of one agency or all."""
    from sunlight.access.agencies import find_agency, list_agencies, list_units

    with reading() as session:
        agency_id = find_agency(session, agency).id if agency else None
        names = {a.id: a.short_name for a in list_agencies(session)}
        documents = [
            {"id": u.id, "agency": names[u.agency_id], "unit": u.name}
            for u in list_units(session, agency_id)
        ]
    if as_json:
        emit_json(documents)
        return
    for d in documents:
        click.echo(f"{d['agency']:<6} {d['unit']}")

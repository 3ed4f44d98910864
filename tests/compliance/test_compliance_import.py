"""CSV imports: documented columns, every bad row reported, nothing half-imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from sunlight.cli.main import cli
from sunlight.compliance.imports import import_all_or_nothing
from sunlight.incidents.models import Incident, UseOfForceReport
from sunlight.runtime import Runtime
from tests.support.evidence_data import add_officer

HEADER = "cad_number,type,started_at,ended_at,location,unit,officers,narrative\n"
GOOD = (
    HEADER + "KC26-1,traffic-stop,2026-05-08T09:00:00-05:00,2026-05-08T09:20:00-05:00,Troost Ave,"
    "Central,4417,Expired tags\n"
    + 'KC26-2,arrest,2026-05-08T10:00:00-05:00,2026-05-08T11:00:00-05:00,"Main St, 12th",'
    "East,4417;5120,\n"
)
BAD = (
    GOOD
    + "KC26-3,picnic,2026-05-08T10:00:00-05:00,2026-05-08T11:00:00-05:00,,,4417,\n"
    + "KC26-4,arrest,2026-05-08T10:00:00,2026-05-08T11:00:00-05:00,,,4417,\n"
    + "KC26-5,arrest,2026-05-08T10:00:00-05:00,2026-05-08T09:00:00-05:00,,,9999,\n"
    + ",arrest,,2026-05-08T09:00:00-05:00,,,,\n"
    + "KC26-1,arrest,2026-05-08T10:00:00-05:00,2026-05-08T11:00:00-05:00,,,,\n"
)


def _count(runtime: Runtime) -> int:
    with runtime.db.session() as session:
        return session.scalar(select(func.count()).select_from(Incident)) or 0


@pytest.fixture
def officers(runtime: Runtime) -> None:
    add_officer(runtime, "4417", "Dana Whitfield", "Central")
    add_officer(runtime, "5120", "Marcus Ortega", "East")


def test_bad_rows_reported_row_by_row_and_nothing_imported(
    runtime: Runtime, officers: None
) -> None:
    result = import_all_or_nothing(runtime.db, "cad", BAD.encode(), actor="test:import")
    assert not result.imported
    assert [(e.row, e.line, e.column) for e in result.errors] == [
        (3, 4, "type"),
        (4, 5, "started_at"),
        (5, 6, "ended_at"),
        (5, 6, "officers"),
        (6, 7, "cad_number"),
        (6, 7, "started_at"),
        (7, 8, "cad_number"),
    ]
    texts = [str(e) for e in result.errors]
    assert texts[0].startswith("row 3 (line 4): type: 'picnic' is not one of")
    assert "needs a timezone offset" in texts[1]
    assert "no officer with badge number 9999" in texts[3]
    assert texts[6] == "row 7 (line 8): cad_number: KC26-1 repeats row 1"
    assert _count(runtime) == 0  # the good rows were not imported either


def test_good_file_imports_and_reimport_skips(runtime: Runtime, officers: None) -> None:
    result = import_all_or_nothing(runtime.db, "cad", GOOD.encode(), actor="test:import")
    assert result.imported and (result.rows, result.created, result.skipped) == (2, 2, 0)
    again = import_all_or_nothing(runtime.db, "cad", GOOD.encode(), actor="test:import")
    assert again.imported and (again.created, again.skipped) == (0, 2)
    with runtime.db.session() as session:
        arrest = session.scalar(select(Incident).where(Incident.cad_number == "KC26-2"))
        assert arrest is not None
        assert arrest.location == "Main St, 12th" and arrest.source == "cad"
        assert sorted(io.officer.badge_number for io in arrest.officers) == ["4417", "5120"]
        assert arrest.started_at.isoformat() == "2026-05-08T15:00:00+00:00"


def test_missing_and_unknown_columns(runtime: Runtime) -> None:
    result = import_all_or_nothing(
        runtime.db, "cad", b"cad_number,colour\nKC1,red\n", actor="test:import"
    )
    assert [str(e) for e in result.errors] == [
        "line 1: missing columns: type, started_at, ended_at",
        "line 1: unknown columns: colour; allowed: cad_number, type, started_at, ended_at, "
        "location, unit, officers, narrative",
    ]


def test_use_of_force_report_upgrades_the_cad_incident(runtime: Runtime, officers: None) -> None:
    import_all_or_nothing(runtime.db, "cad", GOOD.encode(), actor="test:import")
    uof = (
        "report_number,cad_number,occurred_at,force_type,officers,location,narrative\n"
        "RTR-26-0001,KC26-1,2026-05-08T09:10:00-05:00,Taser,4417;5120,,Driver fled\n"
        "RTR-26-0002,KC26-9,2026-05-09T22:00:00-05:00,Takedown,5120,Prospect Ave,\n"
    )
    result = import_all_or_nothing(runtime.db, "use-of-force", uof.encode(), actor="t:import")
    assert result.imported and (result.created, result.updated) == (1, 1)
    with runtime.db.session() as session:
        stop = session.scalar(select(Incident).where(Incident.cad_number == "KC26-1"))
        assert stop is not None and stop.type == "use-of-force"
        assert sorted(io.officer.badge_number for io in stop.officers) == ["4417", "5120"]
        assert session.scalar(select(func.count()).select_from(UseOfForceReport)) == 2
    bad = "report_number,cad_number,occurred_at,force_type,officers\nRTR-3,KC26-1,yesterday,,4417\n"
    result = import_all_or_nothing(runtime.db, "use-of-force", bad.encode(), actor="t:import")
    assert [e.column for e in result.errors] == ["force_type", "occurred_at"]


def test_cli_import_json_and_exit_code(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    bad = tmp_path / "cad.csv"
    bad.write_text(HEADER + "KC1,arrest,2026-05-08T10:00:00-05:00,,,,,\n")
    result = CliRunner().invoke(cli, ["import", "cad", str(bad), "--json"], env=env)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["imported"] is False
    assert document["errors"][0]["text"] == "row 1 (line 2): ended_at: is required"
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "KC1,arrest,2026-05-08T10:00:00-05:00,2026-05-08T15:30:00Z,,,,\n")
    result = CliRunner().invoke(cli, ["import", "cad", str(good)], env=env)
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output

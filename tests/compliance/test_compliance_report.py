"""A month of generated data with known gaps: the report finds exactly those gaps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.compliance import service
from sunlight.evidence import service as evidence
from sunlight.evidence.custody import events_for
from sunlight.incidents import service as incidents
from sunlight.runtime import Runtime
from tests.support.evidence_data import add_officer, add_recording

MONTH = service.Month(2026, 5)
#: When the supervisor reviews the drawn sample: early the next month.
REVIEWED_AT = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)


def _at(day: int, hour: int) -> datetime:
    return datetime(2026, 5, day, hour, 0, tzinfo=UTC)


def _incident(
    runtime: Runtime, cad: str, type: str, when: datetime, badges: list[str], unit: str
) -> int:
    with runtime.db.session() as session:
        return incidents.create_incident(
            session,
            cad_number=cad,
            type=type,
            started_at=when,
            ended_at=when + timedelta(minutes=45),
            officer_badges=badges,
            unit=unit,
            actor="test:cad",
        ).id


@pytest.fixture
def month_data(runtime: Runtime) -> dict[str, int]:
    """Officers A and B in Central, C in East. Known gaps:
    - KC-3 (C alone, arrest): no footage at all -> incident and officer gap
    - KC-4 (A and C, use of force): A filmed, C did not -> officer gap only
    - late: one recording uploaded 5 days after it was made
    - uncategorised: recordings linked to no incident
    """
    a = add_officer(runtime, "1001", "Avery Adams", "Central")
    b = add_officer(runtime, "1002", "Blake Brown", "Central")
    c = add_officer(runtime, "1003", "Casey Clark", "East")
    ids: dict[str, int] = {}
    ids["kc1"] = _incident(runtime, "KC-1", "traffic-stop", _at(3, 10), ["1001", "1002"], "Central")
    ids["a1"] = add_recording(runtime, officer_id=a, recorded_at=_at(3, 10) + timedelta(minutes=1))
    ids["b1"] = add_recording(runtime, officer_id=b, recorded_at=_at(3, 9) + timedelta(minutes=55))
    with runtime.db.session() as session:
        incidents.link_recording(session, ids["kc1"], ids["a1"], actor="t")  # B's is unlinked
    ids["kc2"] = _incident(runtime, "KC-2", "non-evidentiary", _at(5, 12), ["1003"], "East")
    ids["kc3"] = _incident(runtime, "KC-3", "arrest", _at(9, 20), ["1003"], "East")
    ids["kc4"] = _incident(runtime, "KC-4", "use-of-force", _at(14, 2), ["1001", "1003"], "Central")
    ids["a4"] = add_recording(
        runtime,
        officer_id=a,
        recorded_at=_at(14, 2),
        ingested_at=_at(19, 2),  # five days later: late
    )
    with runtime.db.session() as session:
        incidents.link_recording(session, ids["kc4"], ids["a4"], actor="t")
    ids["c_other"] = add_recording(runtime, officer_id=c, recorded_at=_at(9, 12))  # wrong time
    # another month: not reported
    _incident(
        runtime, "KC-0", "arrest", datetime(2026, 4, 30, 23, 0, tzinfo=UTC), ["1002"], "Central"
    )
    add_recording(runtime, officer_id=b, recorded_at=datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    return ids


def test_report_finds_exactly_the_known_gaps(runtime: Runtime, month_data: dict[str, int]) -> None:
    with runtime.db.session() as session:
        quiet = evidence.create_device(
            session, serial="PAN-BWC-000777", vendor="Panasonic", model="BWC", actor="t"
        )
        retired = evidence.create_device(
            session, serial="PAN-BWC-000778", vendor="Panasonic", model="BWC", actor="t"
        )
        evidence.set_device_status(session, retired.id, status="retired", actor="t", reason="old")
        quiet_id = quiet.id
    with runtime.db.session() as session:
        document = service.report(session, MONTH)
    assert [c["device_id"] for c in document["cameras_without_uploads"]] == [quiet_id]
    assert document["month"] == "2026-05"
    assert [i["cad_number"] for i in document["incidents_without_footage"]] == ["KC-3"]
    assert [(i["cad_number"], i["badge_number"]) for i in document["officers_without_footage"]] == [
        ("KC-3", "1003"),
        ("KC-4", "1003"),
    ]
    assert [i["recording_id"] for i in document["late_uploads"]] == [month_data["a4"]]
    assert document["late_uploads"][0]["hours_late"] == 120 - 72
    assert {i["recording_id"] for i in document["uncategorised"]} == {
        month_data["b1"],
        month_data["c_other"],
    }
    assert document["totals"] == {
        "incidents": 4,
        "expected_footage": 5,
        "missing_footage": 2,
        "recordings": 4,
        "late_uploads": 1,
        "uncategorised": 2,
        "cameras_without_uploads": 1,
    }
    assert document["by_unit"]["East"]["missing_footage"] == 1
    assert document["by_unit"]["Central"]["missing_footage"] == 1  # KC-4 is a Central incident
    by_officer = {row["badge_number"]: row for row in document["by_officer"]}
    assert by_officer["1003"]["missing_footage"] == 2
    assert by_officer["1001"]["late_uploads"] == 1
    assert by_officer["1002"]["uncategorised"] == 1
    public = document["public"]
    assert public["publishable"] is True and public["totals"] == document["totals"]
    published = json.dumps(public)
    for secret in ("Avery", "Casey", '"1003"', "KC-3", "recording_id", "name", "badge"):
        assert secret not in published


def test_review_queue_draws_a_random_sample_per_unit(
    runtime: Runtime, month_data: dict[str, int]
) -> None:
    with runtime.db.session() as session:
        drawn = service.draw_review_sample(session, MONTH, actor="t:sgt", per_unit=1)
        assert sorted(item.unit or "" for item in drawn) == ["Central", "East"]
        again = service.draw_review_sample(session, MONTH, actor="t:sgt", per_unit=5)
        assert {i.recording_id for i in drawn}.isdisjoint(i.recording_id for i in again)
        assert len(drawn) + len(again) == 4  # the month's recordings, each drawn once
        item = drawn[0]
        with pytest.raises(evidence.InvalidChange, match="describe"):
            service.complete_review(
                session, item.id, outcome="issue-found", notes="", actor="s", now=REVIEWED_AT
            )
        service.complete_review(
            session,
            item.id,
            outcome="issue-found",
            notes="camera muted early",
            actor="t:sgt",
            now=REVIEWED_AT,
        )
        event = events_for(session, "recording", item.recording_id)[-1]
        assert (event.action, event.details["outcome"]) == ("review", "issue-found")
        assert len(service.review_queue(session, MONTH, open_only=True)) == 3


def test_month_parsing() -> None:
    assert str(service.Month.parse("2026-05")) == "2026-05"
    assert service.Month(2026, 12).end == datetime(2027, 1, 1, tzinfo=UTC)
    assert str(service.Month.previous(datetime(2026, 1, 15, tzinfo=UTC))) == "2025-12"
    with pytest.raises(evidence.InvalidChange):
        service.Month.parse("May 2026")


def test_cli_compliance_report(tmp_path: Path) -> None:
    env = {"SUNLIGHT_HOME": str(tmp_path / "home"), "SUNLIGHT_WORKER_MODE": "eager"}
    args = ["compliance", "report", "--month", "2026-05", "--json"]
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["totals"]["incidents"] == 0 and document["public"]["publishable"] is True
    result = CliRunner().invoke(cli, ["compliance", "report", "--month", "May"], env=env)
    assert result.exit_code == 2 and "YYYY-MM" in result.output

"""The RSMo 610.023.3 clock: "no later than the end of the third business day after" receipt,
over weekends, every holiday in the data file, observed days, year ends, time zones and
pauses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sunlight.cli.main import cli
from sunlight.errors import InvalidInput
from sunlight.requests.calendar import PACKAGED, CalendarOutOfRange, Closure, load_calendar
from sunlight.requests.clock import Deadline, Pause, Skipped, add_business_days, deadline

KC = ZoneInfo("America/Chicago")
CAL = load_calendar(PACKAGED)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=KC)


def days(*isos: str) -> list[date]:
    return [date.fromisoformat(s) for s in isos]


# --- weekends and the count itself ---


def test_thursday_request_is_due_tuesday() -> None:
    result = deadline(at(2026, 12, 3), calendar=CAL)
    assert result.received == date(2026, 12, 3)
    assert result.due == date(2026, 12, 8)
    assert result.counted == days("2026-12-04", "2026-12-07", "2026-12-08")
    assert result.skipped == [
        Skipped(date(2026, 12, 5), "Saturday"),
        Skipped(date(2026, 12, 6), "Sunday"),
    ]
    assert result.business_days == 3
    assert result.calendar_sha256 == CAL.sha256


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2026, 12, 4), date(2026, 12, 9)),  # Friday
        (at(2026, 12, 5), date(2026, 12, 9)),  # Saturday: the date stays, Monday is day 1
        (at(2026, 12, 6), date(2026, 12, 9)),  # Sunday
        (at(2026, 12, 7), date(2026, 12, 10)),  # Monday
    ],
)
def test_weekend_receipt(received: datetime, due: date) -> None:
    assert deadline(received, calendar=CAL).due == due


@pytest.mark.parametrize(
    ("n", "due", "skipped"),
    [
        (0, "2026-11-25", []),  # the day of receipt itself, a business day
        (1, "2026-11-27", ["2026-11-26"]),  # Thanksgiving skipped; the Friday after counts
        (3, "2026-12-01", ["2026-11-26", "2026-11-28", "2026-11-29"]),
        (
            10,
            "2026-12-10",
            ["2026-11-26", "2026-11-28", "2026-11-29", "2026-12-05", "2026-12-06"],
        ),
    ],
)
def test_n_business_days(n: int, due: str, skipped: list[str]) -> None:
    result = deadline(at(2026, 11, 25), n, calendar=CAL)
    assert result.due == date.fromisoformat(due)
    assert len(result.counted) == n
    assert [s.date.isoformat() for s in result.skipped] == skipped
    assert result.skipped[:1] == (
        [Skipped(date(2026, 11, 26), "Thanksgiving Day (RSMo 9.010)")] if skipped else []
    )


def test_zero_days_from_a_closed_day_is_the_next_business_day() -> None:
    result = add_business_days(date(2026, 12, 5), 0, calendar=CAL)
    assert result.due == date(2026, 12, 7)
    assert result.counted == []
    assert [s.why for s in result.skipped] == ["Saturday", "Sunday"]


def test_negative_or_huge_counts_are_refused() -> None:
    with pytest.raises(InvalidInput, match="between 0 and"):
        deadline(at(2026, 12, 3), -1, calendar=CAL)
    with pytest.raises(InvalidInput, match="between 0 and"):
        add_business_days(date(2026, 12, 3), 10**6, calendar=CAL)


# --- every holiday in the data file ---


@pytest.mark.parametrize("closure", list(CAL.holidays.values()), ids=lambda c: c.date.isoformat())
def test_every_closure_in_the_file_is_skipped_with_its_name(closure: Closure) -> None:
    result = add_business_days(closure.date - timedelta(days=1), 1, calendar=CAL)
    assert closure.date not in result.counted
    assert Skipped(closure.date, closure.why) in result.skipped
    assert closure.name in closure.why and closure.source in closure.why
    assert result.due is not None and result.due > closure.date


# --- year ends and observed days ---


@pytest.mark.parametrize(
    ("received", "due", "skipped"),
    [
        # Friday 31 Dec 2021 is New Year's Day 2022 (a Saturday), kept the Friday before.
        (at(2021, 12, 29), "2022-01-04", ["2021-12-31", "2022-01-01", "2022-01-02"]),
        (at(2021, 12, 30), "2022-01-05", ["2021-12-31", "2022-01-01", "2022-01-02"]),
        (at(2021, 12, 31), "2022-01-05", ["2022-01-01", "2022-01-02"]),  # received when closed
        # Christmas 2021 (Saturday) kept Friday 24 Dec.
        (at(2021, 12, 22), "2021-12-28", ["2021-12-24", "2021-12-25", "2021-12-26"]),
        # 2022/23: Christmas and New Year's Day on Sundays, kept the Mondays after.
        (at(2022, 12, 29), "2023-01-04", ["2022-12-31", "2023-01-01", "2023-01-02"]),
        (at(2022, 12, 23), "2022-12-29", ["2022-12-24", "2022-12-25", "2022-12-26"]),
        # 2026/27: Christmas on a Friday, New Year's Day on a Friday.
        (at(2026, 12, 31), "2027-01-06", ["2027-01-01", "2027-01-02", "2027-01-03"]),
    ],
)
def test_year_ends(received: datetime, due: str, skipped: list[str]) -> None:
    result = deadline(received, calendar=CAL)
    assert result.due == date.fromisoformat(due)
    assert [s.date.isoformat() for s in result.skipped] == skipped


def test_new_years_day_2022_reason() -> None:
    result = deadline(at(2021, 12, 29), calendar=CAL)
    assert result.skipped[0].why.startswith("New Year's Day, observed: Saturday 2022-01-01")


def test_lincoln_and_truman_days() -> None:
    # Thursday 11 Feb 2027: Lincoln Day Friday 12 Feb, then the weekend, then Washington's
    # Birthday Monday 15 Feb.
    result = deadline(at(2027, 2, 11), calendar=CAL)
    assert [s.why for s in result.skipped] == [
        "Lincoln Day (RSMo 9.010)",
        "Saturday",
        "Sunday",
        "Washington's Birthday (RSMo 9.010)",
    ]
    assert result.due == date(2027, 2, 18)
    assert deadline(at(2026, 5, 7), calendar=CAL).skipped[0].why == "Truman Day (RSMo 9.010)"


# --- time zones ---


@pytest.mark.parametrize(
    ("received_at", "received"),
    [
        (at(2026, 1, 15, 23, 30), "2026-01-15"),  # CST, UTC-6
        (at(2026, 7, 15, 23, 30), "2026-07-15"),  # CDT, UTC-5
        (at(2026, 3, 7, 23, 30), "2026-03-07"),  # the night before DST starts
        (at(2026, 3, 8, 23, 30), "2026-03-08"),  # the night after
        (at(2026, 10, 31, 23, 30), "2026-10-31"),
        (at(2026, 11, 1, 23, 30), "2026-11-01"),
        # next day in UTC, same day in Kansas City
        (datetime(2026, 12, 4, 5, 30, tzinfo=UTC), "2026-12-03"),
        (datetime(2026, 7, 16, 4, 30, tzinfo=UTC), "2026-07-15"),
    ],
)
def test_late_night_requests_are_that_days(received_at: datetime, received: str) -> None:
    result = deadline(received_at, calendar=CAL)
    assert result.received.isoformat() == received
    assert result.counted[0] > result.received
    assert result.notes == []


def test_utc_late_night_thursday_is_due_tuesday_not_wednesday() -> None:
    # 05:30 UTC Friday is 23:30 Thursday in Kansas City.
    assert deadline(datetime(2026, 12, 4, 5, 30, tzinfo=UTC), calendar=CAL).due == date(2026, 12, 8)


def test_a_cutoff_moves_receipt_and_says_so(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "h.yaml"
    path.write_text(PACKAGED.read_text().replace("receipt_cutoff: null", 'receipt_cutoff: "17:00"'))
    calendar = load_calendar(path)
    assert calendar.receipt_cutoff == time(17, 0)
    result = deadline(at(2026, 12, 4, 18, 30), calendar=calendar)
    assert result.received == date(2026, 12, 7)
    assert result.due == date(2026, 12, 10)
    assert "after the 17:00 receipt cutoff" in result.notes[0]


# --- pauses ---


def test_closed_pause_skips_its_days() -> None:
    pause = Pause(at(2026, 12, 8, 10), at(2026, 12, 9, 15), "which camera?")
    result = deadline(at(2026, 12, 7), calendar=CAL, pauses=[pause])
    assert result.skipped == [
        Skipped(date(2026, 12, 8), "paused: which camera?"),
        Skipped(date(2026, 12, 9), "paused: which camera?"),
        Skipped(date(2026, 12, 12), "Saturday"),
        Skipped(date(2026, 12, 13), "Sunday"),
    ]
    assert result.counted == days("2026-12-10", "2026-12-11", "2026-12-14")
    assert result.due == date(2026, 12, 14)
    assert result.pauses == [pause]


def test_same_day_pause_skips_that_day() -> None:
    pause = Pause(at(2026, 12, 8, 9), at(2026, 12, 8, 11), "date of the incident?")
    result = deadline(at(2026, 12, 7), calendar=CAL, pauses=[pause])
    assert result.counted == days("2026-12-09", "2026-12-10", "2026-12-11")


def test_pause_spanning_a_weekend_and_a_holiday() -> None:
    pause = Pause(at(2026, 12, 24, 9), at(2026, 12, 28, 9), "clarify")
    result = deadline(at(2026, 12, 23), calendar=CAL, pauses=[pause])
    assert [(s.date.isoformat(), s.why) for s in result.skipped] == [
        ("2026-12-24", "paused: clarify"),
        ("2026-12-25", "Christmas Day (RSMo 9.010)"),  # its own reason, not the pause
        ("2026-12-26", "Saturday"),
        ("2026-12-27", "Sunday"),
        ("2026-12-28", "paused: clarify"),
    ]
    assert result.due == date(2026, 12, 31)


def test_open_pause_has_no_due_date() -> None:
    pause = Pause(at(2026, 12, 8, 10), None, "which address?")
    result = deadline(at(2026, 12, 3), calendar=CAL, pauses=[pause])
    assert result.due is None
    assert result.counted == days("2026-12-04", "2026-12-07")
    assert result.status(date(2027, 6, 1)) == "paused"
    assert result.days_left(date(2026, 12, 9)) is None
    assert result.to_json()["due"] is None
    assert result.to_json()["pauses"] == [
        {"start": "2026-12-08T10:00:00-06:00", "end": None, "reason": "which address?"}
    ]
    assert "No due date while the clock is paused (2 of 3" in result.explain()[-1]


def test_pause_after_the_clock_ran_out_changes_nothing() -> None:
    late = [Pause(at(2026, 12, 9, 10), None, "too late")]
    assert deadline(at(2026, 12, 3), calendar=CAL, pauses=late).due == date(2026, 12, 8)


def test_pause_before_receipt_and_overlapping_pauses() -> None:
    before = Pause(at(2026, 12, 1), at(2026, 12, 2), "earlier request")
    a = Pause(at(2026, 12, 8), at(2026, 12, 9), "first")
    b = Pause(at(2026, 12, 9), at(2026, 12, 10), "second")
    result = deadline(at(2026, 12, 7), calendar=CAL, pauses=[b, before, a])
    assert [(s.date.day, s.why) for s in result.skipped] == [
        (8, "paused: first"),
        (9, "paused: first"),
        (10, "paused: second"),
        (12, "Saturday"),
        (13, "Sunday"),
    ]
    assert result.due == date(2026, 12, 15)
    assert result.pauses == [before, a, b]


def test_bad_pauses_are_refused() -> None:
    with pytest.raises(InvalidInput, match="before it starts"):
        deadline(
            at(2026, 12, 7), calendar=CAL, pauses=[Pause(at(2026, 12, 9), at(2026, 12, 8), "x")]
        )
    with pytest.raises(InvalidInput, match="no time zone"):
        deadline(at(2026, 12, 7), calendar=CAL, pauses=[Pause(datetime(2026, 12, 8), None, "x")])
    with pytest.raises(InvalidInput, match="needs a reason"):
        deadline(at(2026, 12, 7), calendar=CAL, pauses=[Pause(at(2026, 12, 8), None, " ")])


# --- status, JSON, explanation ---


@pytest.mark.parametrize(
    ("today", "left", "status"),
    [
        (date(2026, 12, 3), 3, "on-time"),
        (date(2026, 12, 4), 2, "on-time"),
        (date(2026, 12, 5), 2, "on-time"),
        (date(2026, 12, 7), 1, "due-soon"),
        (date(2026, 12, 8), 0, "due-today"),
        (date(2026, 12, 9), -1, "overdue"),
        (date(2026, 12, 15), -7, "overdue"),
    ],
)
def test_status(today: date, left: int, status: str) -> None:
    result = deadline(at(2026, 12, 3), calendar=CAL)
    assert result.days_left(today) == left
    assert result.status(today) == status


def test_to_json_and_explain() -> None:
    result = deadline(at(2026, 12, 3), calendar=CAL)
    document = result.to_json()
    assert json.loads(json.dumps(document)) == document
    assert document["due"] == "2026-12-08"
    assert document["counted"] == ["2026-12-04", "2026-12-07", "2026-12-08"]
    assert document["skipped"] == [
        {"date": "2026-12-05", "why": "Saturday"},
        {"date": "2026-12-06", "why": "Sunday"},
    ]
    assert document["received"] == "2026-12-03"
    assert document["business_days"] == 3
    assert document["pauses"] == []
    lines = result.explain()
    assert lines[0] == "Received Thu 2026-12-03 (the day of receipt does not count)."
    assert "  Sat 2026-12-05: skipped, Saturday" in lines
    assert "  Tue 2026-12-08: business day 3 of 3" in lines
    assert lines[-1] == "Due by the end of Tue 2026-12-08."


def test_out_of_range_is_refused() -> None:
    with pytest.raises(CalendarOutOfRange):
        deadline(at(2035, 12, 31), calendar=CAL)


# --- properties ---

received_times = st.datetimes(
    min_value=datetime(2020, 1, 2), max_value=datetime(2035, 10, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(received_at=received_times, n=st.integers(0, 30))
def test_properties(received_at: datetime, n: int) -> None:
    result = deadline(received_at, n, calendar=CAL)
    assert result.due is not None
    assert CAL.is_business_day(result.due)
    assert len(result.counted) == n
    assert result.counted == sorted(set(result.counted))
    assert all(CAL.is_business_day(d) for d in result.counted)
    skipped = [s.date for s in result.skipped]
    assert not set(skipped) & set(result.counted)
    assert all(CAL.why_not(s.date) == s.why for s in result.skipped)
    first = result.received if n == 0 else result.received + timedelta(days=1)
    span = [first + timedelta(days=i) for i in range((result.due - first).days + 1)]
    assert sorted([*skipped, *result.counted]) == span[:-1] + ([] if n == 0 else [result.due])
    if n:
        assert result.counted[-1] == result.due
    assert result.received == received_at.astimezone(KC).date()


@settings(max_examples=200, deadline=None)
@given(
    received_at=received_times,
    offset=st.integers(0, 10),
    length=st.integers(0, 6),
    n=st.integers(1, 10),
)
def test_pause_properties(received_at: datetime, offset: int, length: int, n: int) -> None:
    start = received_at + timedelta(days=offset)
    pause = Pause(start, start + timedelta(days=length), "clarify")
    paused = {
        start.astimezone(KC).date() + timedelta(days=i)
        for i in range((pause.end.astimezone(KC).date() - start.astimezone(KC).date()).days + 1)  # type: ignore[union-attr]
    }
    result = deadline(received_at, n, calendar=CAL, pauses=[pause])
    plain = deadline(received_at, n, calendar=CAL)
    assert len(result.counted) == n
    assert not paused & set(result.counted)
    assert result.due is not None and plain.due is not None and result.due >= plain.due
    for s in result.skipped:
        assert s.why == (CAL.why_not(s.date) or "paused: clarify")


def test_deadline_type_says_due_is_optional() -> None:
    assert Deadline.__dataclass_fields__["due"].type == "date | None"


# --- the command ---


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["requests", "deadline", *args])
    return result.exit_code, result.output


def test_cli_json() -> None:
    code, out = _run("--received", "2021-12-29T23:30", "--json")
    assert code == 0, out
    document = json.loads(out)
    assert document["due"] == "2022-01-04"
    assert document["counted"] == ["2021-12-30", "2022-01-03", "2022-01-04"]
    assert document["skipped"][0]["date"] == "2021-12-31"
    assert document["skipped"][0]["why"].startswith("New Year's Day")
    assert {"due", "counted", "skipped"} <= set(document)


def test_cli_converts_offsets_and_counts_n() -> None:
    code, out = _run("--received", "2026-12-04T05:30:00Z", "--business-days", "1", "--json")
    assert code == 0, out
    assert json.loads(out)["due"] == "2026-12-04"
    code, out = _run("--received", "2026-12-04T05:30:00", "--business-days", "1", "--json")
    assert json.loads(out)["due"] == "2026-12-07"  # naive: Kansas City time, a Friday


def test_cli_readable() -> None:
    code, out = _run("--received", "2026-12-03T16:00")
    assert code == 0
    assert "Sat 2026-12-05: skipped, Saturday" in out
    assert out.strip().endswith("Due by the end of Tue 2026-12-08.")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--received", "yesterday"], "not an ISO 8601 date and time"),
        (["--received", "2040-01-01T10:00"], "outside the holidays file"),
        (["--received", "2026-12-03T10:00", "--business-days", "-1"], "--business-days"),
        ([], "--received"),
    ],
)
def test_cli_bad_input(args: list[str], message: str) -> None:
    code, out = _run(*args)
    assert code == 2
    assert message in out

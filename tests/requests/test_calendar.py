"""The Missouri state-office calendar: the packaged data file, its schema, and the date a
request is received (Kansas City time)."""

from __future__ import annotations

import calendar as stdcal
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from sunlight.errors import InvalidInput
from sunlight.requests.calendar import (
    ENV_VAR,
    PACKAGED,
    Calendar,
    CalendarOutOfRange,
    HolidaysFileError,
    default_calendar,
    load_calendar,
    load_holidays,
)

KC = ZoneInfo("America/Chicago")
CAL = load_calendar(PACKAGED)


def _nth(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last(year: int, month: int, weekday: int) -> date:
    end = date(year, month, stdcal.monthrange(year, month)[1])
    return end - timedelta(days=(end.weekday() - weekday) % 7)


def _kept(day: date) -> date:
    """Sunday holiday -> Monday after (RSMo 9.010); Saturday -> Friday before (practice)."""
    return {5: day - timedelta(days=1), 6: day + timedelta(days=1)}.get(day.weekday(), day)


def expected_closures(year: int) -> dict[date, str]:
    """The rules of ../shared/guides/law-and-policy.md, computed independently of the file."""
    named = {
        "New Year's Day": date(year, 1, 1),
        "Martin Luther King Jr. Day": _nth(year, 1, 0, 3),
        "Lincoln Day": date(year, 2, 12),
        "Washington's Birthday": _nth(year, 2, 0, 3),
        "Truman Day": date(year, 5, 8),
        "Memorial Day": _last(year, 5, 0),
        "Independence Day": date(year, 7, 4),
        "Labor Day": _nth(year, 9, 0, 1),
        "Columbus Day": _nth(year, 10, 0, 2),
        "Veterans Day": date(year, 11, 11),
        "Thanksgiving Day": _nth(year, 11, 3, 4),
        "Christmas Day": date(year, 12, 25),
    }
    if year >= 2021:
        named["Juneteenth"] = date(year, 6, 19)
    return {_kept(day): name for name, day in named.items()}


def test_packaged_file_is_every_missouri_closure_2020_to_2035() -> None:
    expected: dict[date, str] = {}
    for year in range(2020, 2036):
        expected.update(expected_closures(year))
    actual = {d: c.name for d, c in CAL.holidays.items()}
    assert actual == expected
    assert len(actual) == 16 * 12 + 15  # twelve RSMo 9.010 holidays, Juneteenth from 2021
    assert (CAL.first, CAL.last) == (date(2020, 1, 1), date(2035, 12, 31))
    assert CAL.tz.key == "America/Chicago"
    assert CAL.receipt_cutoff is None


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2026, 12, 5), "Saturday"),
        (date(2026, 12, 6), "Sunday"),
        (date(2026, 2, 12), "Lincoln Day (RSMo 9.010)"),
        (date(2026, 5, 8), "Truman Day (RSMo 9.010)"),
        (date(2026, 6, 19), "Juneteenth (Governor's order (Juneteenth, since 2021))"),
        (
            date(2021, 12, 31),
            "New Year's Day, observed: Saturday 2022-01-01 is kept the Friday before "
            "(RSMo 9.010 and state-office practice)",
        ),
        (
            date(2022, 5, 9),
            "Truman Day, observed: Sunday 2022-05-08 is kept the Monday after (RSMo 9.010)",
        ),
        (date(2022, 1, 1), "Saturday"),  # the holiday itself: a weekend day anyway
        (date(2026, 12, 7), None),
    ],
)
def test_why_not(day: date, why: str | None) -> None:
    assert CAL.why_not(day) == why
    assert CAL.is_business_day(day) is (why is None)


def test_sources_are_cited() -> None:
    for closure in CAL.holidays.values():
        if closure.name == "Juneteenth":
            assert closure.source.startswith("Governor's order (Juneteenth, since 2021)")
        else:
            assert closure.source.startswith("RSMo 9.010")
        if closure.observed_for is not None:
            assert closure.observed_for.weekday() in (5, 6)
            assert "observed" in closure.why


def test_day_after_thanksgiving_is_a_business_day_and_juneteenth_starts_2021() -> None:
    for year in range(2020, 2036):
        thanksgiving = _nth(year, 11, 3, 4)
        assert CAL.why_not(thanksgiving) == "Thanksgiving Day (RSMo 9.010)"
        assert CAL.is_business_day(thanksgiving + timedelta(days=1))
    assert CAL.is_business_day(date(2020, 6, 19))  # a Friday, before the order
    assert CAL.why_not(date(2021, 6, 18)) is not None  # Saturday 19 June 2021, kept Friday
    assert CAL.why_not(date(2022, 6, 20)) is not None  # Sunday 19 June 2022, kept Monday


def test_observed_days() -> None:
    assert CAL.holidays[date(2021, 12, 31)].observed_for == date(2022, 1, 1)
    assert CAL.holidays[date(2022, 2, 11)].name == "Lincoln Day"  # Saturday 12 Feb 2022
    assert CAL.holidays[date(2021, 7, 5)].name == "Independence Day"  # Sunday 4 July 2021
    assert CAL.holidays[date(2023, 11, 10)].name == "Veterans Day"  # Saturday 11 Nov 2023
    assert date(2022, 12, 26) in CAL.holidays  # Christmas 2022 on a Sunday


@pytest.mark.parametrize(
    ("when", "received"),
    [
        (datetime(2026, 1, 15, 23, 30, tzinfo=KC), date(2026, 1, 15)),  # CST
        (datetime(2026, 7, 15, 23, 30, tzinfo=KC), date(2026, 7, 15)),  # CDT
        (datetime(2026, 3, 8, 23, 30, tzinfo=KC), date(2026, 3, 8)),  # DST starts that day
        (datetime(2026, 11, 1, 23, 30, tzinfo=KC), date(2026, 11, 1)),  # DST ends that day
        (datetime.fromisoformat("2026-12-04T05:30:00Z"), date(2026, 12, 3)),  # 23:30 CST
        (datetime.fromisoformat("2026-12-04T06:00:00Z"), date(2026, 12, 4)),  # 00:00 CST
        (datetime.fromisoformat("2026-07-16T04:59:00+00:00"), date(2026, 7, 15)),  # 23:59 CDT
        (datetime.fromisoformat("2026-07-16T05:00:00+00:00"), date(2026, 7, 16)),
        (datetime(2026, 12, 5, 10, tzinfo=KC), date(2026, 12, 5)),  # a Saturday stays Saturday
    ],
)
def test_received_date_is_the_kansas_city_date(when: datetime, received: date) -> None:
    assert CAL.received_date(when) == received


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="no time zone"):
        CAL.received_date(datetime(2026, 12, 3, 12))


def test_dates_outside_the_file_are_refused() -> None:
    with pytest.raises(CalendarOutOfRange, match="add that year's closures"):
        CAL.is_business_day(date(2036, 1, 2))
    with pytest.raises(CalendarOutOfRange):
        CAL.received_date(datetime(2019, 12, 31, 12, tzinfo=UTC))


# --- the file is data: a department's own file, and what the schema refuses ---


def _packaged() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(PACKAGED.read_text())
    return data


def _write(tmp_path: Path, data: dict[str, Any], raw: str | None = None) -> Path:
    path = tmp_path / "closures.yaml"
    path.write_text(raw if raw is not None else yaml.safe_dump(data))
    return path


def test_department_closure_and_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _packaged()
    data["closures"].append(
        {"date": date(2027, 1, 15), "name": "Office closed (ice storm)", "source": "Order 3"}
    )
    monkeypatch.setenv(ENV_VAR, str(_write(tmp_path, data)))
    calendar = default_calendar()
    assert calendar.why_not(date(2027, 1, 15)) == "Office closed (ice storm) (Order 3)"
    assert calendar.sha256 != load_holidays(PACKAGED).sha256
    assert calendar.path == str(tmp_path / "closures.yaml")


def _cutoff_calendar(tmp_path: Path) -> Calendar:
    raw = PACKAGED.read_text().replace("receipt_cutoff: null", 'receipt_cutoff: "17:00"')
    return load_calendar(_write(tmp_path, {}, raw))


@pytest.mark.parametrize(
    ("when", "received"),
    [
        (datetime(2026, 12, 3, 16, 59, tzinfo=KC), date(2026, 12, 3)),
        (datetime(2026, 12, 3, 17, 0, tzinfo=KC), date(2026, 12, 3)),
        (datetime(2026, 12, 3, 17, 1, tzinfo=KC), date(2026, 12, 4)),
        (datetime(2026, 12, 4, 18, 0, tzinfo=KC), date(2026, 12, 7)),  # Friday evening
        (datetime(2026, 12, 5, 9, 0, tzinfo=KC), date(2026, 12, 7)),  # Saturday
        (datetime(2026, 12, 24, 17, 30, tzinfo=KC), date(2026, 12, 28)),  # Christmas, weekend
    ],
)
def test_receipt_cutoff(tmp_path: Path, when: datetime, received: date) -> None:
    calendar = _cutoff_calendar(tmp_path)
    assert str(calendar.receipt_cutoff) == "17:00:00"
    assert calendar.received_date(when) == received


def _edit_closure(index: int, **changes: Any) -> Any:
    def edit(data: dict[str, Any]) -> None:
        data["closures"][index].update(changes)

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_edit_closure(0, date=date(2020, 1, 4)), "is a Saturday"),
        (_edit_closure(1, date=date(2020, 1, 1)), "listed twice"),
        (_edit_closure(0, date=date(2019, 12, 31)), "outside covers"),
        (_edit_closure(0, observed_for=date(2020, 1, 2)), "observed_for 2020-01-02 is a weekday"),
        (_edit_closure(0, colour="red"), "colour"),
        (_edit_closure(0, source=""), "source"),
        (lambda d: d.update(timezone="America/Kansas_City"), "unknown time zone"),
        (lambda d: d.update(receipt_cutoff=1020), 'quoted "HH:MM"'),
        (lambda d: d.update(receipt_cutoff="5pm"), 'quoted "HH:MM"'),
        (lambda d: d.pop("covers"), "covers"),
    ],
)
def test_invalid_files_are_refused(tmp_path: Path, edit: Any, message: str) -> None:
    data = _packaged()
    edit(data)
    with pytest.raises(HolidaysFileError, match=message):
        load_holidays(_write(tmp_path, data))


def test_unquoted_cutoff_is_refused(tmp_path: Path) -> None:
    # YAML 1.1 reads an unquoted 17:00 as the number 1020 (base 60): never 00:17.
    raw = PACKAGED.read_text().replace("receipt_cutoff: null", "receipt_cutoff: 17:00")
    with pytest.raises(HolidaysFileError, match=r'quoted "HH:MM", not 1020'):
        load_holidays(_write(tmp_path, {}, raw))


def test_an_invalid_file_stops_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sunlight.runtime import start
    from tests.conftest import embedded_settings

    monkeypatch.setenv(ENV_VAR, str(_write(tmp_path, {}, "version: 1\n")))
    with pytest.raises(HolidaysFileError, match="holidays file"):
        start(embedded_settings(tmp_path / "home"))


def test_agrees_with_the_holidays_library_where_it_can() -> None:
    """The `holidays` library (not a dependency) leaves out Lincoln Day; otherwise every
    closure in the file is one of its Missouri holidays (observed)."""
    lib = pytest.importorskip("holidays")
    theirs = lib.US(subdiv="MO", years=range(2019, 2037), observed=True)
    ours = {d for d, c in CAL.holidays.items() if c.name != "Lincoln Day"}
    assert ours - set(theirs) == set()

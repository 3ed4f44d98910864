"""Business days for the records-request clock (RSMo 610.023.3).

A business day is a weekday on which Missouri state offices are open. The closures are data:
the packaged ``holidays.yaml`` (RSMo 9.010 holidays, their observed days and the governor's
Juneteenth closure), or the file ``SUNLIGHT_HOLIDAYS`` names, loaded through the one policy
loader so an invalid file stops start-up and its SHA-256 can be recorded with each deadline.

The date a request is received is its date in Kansas City (``timezone``, America/Chicago):
a request at 23:30 there is that day's request whatever the UTC date. The time of day does
not move the date unless the file sets ``receipt_cutoff``: then a request after that time,
or on a day the offices are closed, counts as received on the next business day.

A date outside the years the file ``covers`` is refused (`CalendarOutOfRange`), never guessed:
add the closures for the new year to the file.
"""

from __future__ import annotations

import datetime as _dt
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sunlight.config import ConfigError
from sunlight.errors import InvalidInput
from sunlight.policyfile import LoadedPolicyFile, load_policy_file, policy_path

PACKAGED = Path(__file__).with_name("holidays.yaml")
ENV_VAR = "SUNLIGHT_HOLIDAYS"
WEEKEND = {5: "Saturday", 6: "Sunday"}


class HolidaysFileError(ConfigError):
    """The holidays file is missing or invalid."""


class CalendarOutOfRange(InvalidInput):
    """A date the holidays file does not cover: its closures are unknown."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClosureEntry(_Strict):
    date: date
    name: str = Field(min_length=1, max_length=120)
    observed_for: _dt.date | None = Field(
        default=None, description="The holiday's own date when it falls on a weekend."
    )
    source: str = Field(min_length=1, max_length=200, description="Statute or order.")

    @model_validator(mode="after")
    def _weekday(self) -> ClosureEntry:
        if self.date.weekday() in WEEKEND:
            raise ValueError(
                f"{self.date} ({self.name}) is a {WEEKEND[self.date.weekday()]}, never a "
                "business day anyway: give the weekday the offices close, with observed_for"
            )
        if self.observed_for is not None:
            if self.observed_for.weekday() not in WEEKEND:
                raise ValueError(
                    f"{self.name}: observed_for {self.observed_for} is a weekday; observed_for "
                    "is only for a holiday that falls on a weekend"
                )
            if abs((self.date - self.observed_for).days) > 3:
                raise ValueError(
                    f"{self.name}: {self.date} is not next to its holiday {self.observed_for}"
                )
        return self


class Covers(_Strict):
    first: date
    last: date


class HolidaysFile(_Strict):
    version: int = Field(ge=1)
    title: str
    timezone: str = "America/Chicago"
    receipt_cutoff: time | None = Field(
        default=None,
        description='A quoted "HH:MM": requests after it count as received the next '
        "business day. null: the time of day does not move the date.",
    )
    covers: Covers
    closures: list[ClosureEntry]

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("receipt_cutoff", mode="before")
    @classmethod
    def _cutoff(cls, value: Any) -> Any:
        # Unquoted, YAML 1.1 reads 17:00 as the number 1020: refuse anything but "HH:MM".
        if value is None or isinstance(value, time):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
            raise ValueError(f'receipt_cutoff must be null or a quoted "HH:MM", not {value!r}')
        return value

    @model_validator(mode="after")
    def _consistent(self) -> HolidaysFile:
        if self.covers.last < self.covers.first:
            raise ValueError("covers.last is before covers.first")
        seen: dict[date, str] = {}
        for entry in self.closures:
            if not self.covers.first <= entry.date <= self.covers.last:
                raise ValueError(
                    f"{entry.date} ({entry.name}) is outside covers "
                    f"{self.covers.first}..{self.covers.last}"
                )
            if entry.date in seen:
                raise ValueError(
                    f"{entry.date} is listed twice ({seen[entry.date]} and {entry.name}): "
                    "one closure a day"
                )
            seen[entry.date] = entry.name
        return self


LoadedHolidays = LoadedPolicyFile[HolidaysFile]


def load_holidays(path: Path | None = None) -> LoadedHolidays:
    """The holidays file in force (``SUNLIGHT_HOLIDAYS`` or the packaged one), validated."""
    return load_policy_file(
        HolidaysFile,
        path or policy_path(PACKAGED, ENV_VAR),
        what="holidays file",
        error=HolidaysFileError,
    )


@dataclass(frozen=True)
class Closure:
    """A weekday the state offices are closed."""

    date: date
    name: str
    source: str
    observed_for: _dt.date | None = None

    @property
    def why(self) -> str:
        """The reason the day does not count, e.g. ``Lincoln Day (RSMo 9.010)``."""
        if self.observed_for is None:
            return f"{self.name} ({self.source})"
        side = "before" if self.date < self.observed_for else "after"
        return (
            f"{self.name}, observed: {self.observed_for:%A} {self.observed_for.isoformat()} "
            f"is kept the {self.date:%A} {side} ({self.source})"
        )


class Calendar:
    """Which days are business days, and the time zone that dates receipts."""

    def __init__(
        self,
        closures: Iterable[Closure],
        *,
        tz: ZoneInfo | str = "America/Chicago",
        receipt_cutoff: time | None = None,
        first: date = date.min,
        last: date = date.max,
        sha256: str | None = None,
        path: str | None = None,
    ) -> None:
        self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        self.receipt_cutoff = receipt_cutoff
        self.first = first
        self.last = last
        self.sha256 = sha256
        self.path = path
        holidays: dict[date, Closure] = {}
        for closure in closures:
            if closure.date in holidays:
                raise ValueError(f"two closures on {closure.date}")
            holidays[closure.date] = closure
        self._holidays = holidays
        #: the ordinals of the closures on weekdays, in order: business days are counted by
        #: arithmetic over them (weekdays by formula, less the closures), never day by day
        self._closed = sorted(d.toordinal() for d in holidays if d.weekday() not in WEEKEND)

    @classmethod
    def from_file(cls, loaded: LoadedHolidays) -> Calendar:
        spec = loaded.policy
        return cls(
            (
                Closure(date=e.date, name=e.name, source=e.source, observed_for=e.observed_for)
                for e in spec.closures
            ),
            tz=spec.timezone,
            receipt_cutoff=spec.receipt_cutoff,
            first=spec.covers.first,
            last=spec.covers.last,
            sha256=loaded.sha256,
            path=loaded.path,
        )

    @property
    def holidays(self) -> Mapping[date, Closure]:
        """Closures by date (weekdays only)."""
        return dict(self._holidays)

    def covered(self, d: date) -> None:
        """Raise `CalendarOutOfRange` for a date the file does not cover."""
        if not self.first <= d <= self.last:
            raise CalendarOutOfRange(
                f"{d.isoformat()} is outside the holidays file "
                f"({self.first.isoformat()} to {self.last.isoformat()}): "
                "add that year's closures to it",
                diagnostics={
                    "date": d.isoformat(),
                    "first": str(self.first),
                    "last": str(self.last),
                },
            )

    def closure(self, d: date) -> Closure | None:
        self.covered(d)
        return self._holidays.get(d)

    def why_not(self, d: date) -> str | None:
        """Why ``d`` is not a business day ("Saturday", "Lincoln Day (RSMo 9.010)", ...);
        None when it is one."""
        self.covered(d)
        if d.weekday() in WEEKEND:
            return WEEKEND[d.weekday()]
        closure = self._holidays.get(d)
        return closure.why if closure else None

    def is_business_day(self, d: date) -> bool:
        return self.why_not(d) is None

    def first_uncovered(self, first: date, last: date) -> date | None:
        """The first date of ``first``..``last`` (both inclusive) the file does not cover:
        the date a day-by-day walk over them would be refused on; None when all are."""
        if first > last:
            return None
        if not self.first <= first <= self.last:
            return first
        return self.last + timedelta(days=1) if last > self.last else None

    def business_days_between(self, after: date, through: date) -> int:
        """Business days after ``after`` up to and including ``through`` (the clock's
        counting: the first day does not count); 0 when ``through`` is not after it.
        `CalendarOutOfRange` when any of those days is outside the file."""
        if through <= after:
            return 0
        outside = self.first_uncovered(after + timedelta(days=1), through)
        if outside is not None:
            self.covered(outside)
        return self.business_ordinals(after.toordinal(), through.toordinal())

    # Business-day arithmetic on date ordinals (``date.toordinal()``), for the clocks: it
    # does not check the file's ``covers`` (callers check the days they stand for with
    # `first_uncovered`). Ordinal 1 (0001-01-01) is a Monday.

    def business_ordinals(self, after: int, through: int) -> int:
        """Business days with an ordinal in ``after`` < o <= ``through``."""
        if through <= after:
            return 0
        return self._business_upto(through) - self._business_upto(after)

    def nth_business_ordinal(self, after: int, n: int) -> int:
        """The ordinal of the ``n``-th (n >= 1) business day after ordinal ``after``."""
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        closed_before = bisect_right(self._closed, after)
        wanted = _weekdays_upto(after) + n
        found = _nth_weekday(wanted)
        # The n-th weekday, pushed on by the closures between: the least fixed point of
        # "the (n + closures in between)-th weekday" is the n-th business day.
        while True:
            later = _nth_weekday(wanted + bisect_right(self._closed, found) - closed_before)
            if later == found:
                return found
            found = later

    def _business_upto(self, o: int) -> int:
        return _weekdays_upto(o) - bisect_right(self._closed, o)

    def next_business_day(self, d: date) -> date:
        """The first business day strictly after ``d``."""
        d += timedelta(days=1)
        while not self.is_business_day(d):
            d += timedelta(days=1)
        return d

    def local(self, dt: datetime) -> datetime:
        """``dt`` in the calendar's time zone; a naive datetime is refused (ambiguous)."""
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise InvalidInput(
                f"{dt.isoformat()} has no time zone: give an offset (or convert it to "
                f"{self.tz.key} first)"
            )
        return dt.astimezone(self.tz)

    def local_date(self, dt: datetime) -> date:
        """The date of ``dt`` in the calendar's time zone (Kansas City by default)."""
        return self.local(dt).date()

    def received_date(self, dt: datetime) -> date:
        """The date a request received at ``dt`` counts as received (RSMo 610.023.3).

        The date in Kansas City; with a ``receipt_cutoff``, a request after the cutoff or on
        a day the offices are closed counts as received on the next business day.
        """
        local = self.local(dt)
        received = local.date()
        if self.receipt_cutoff is None:
            self.covered(received)
            return received
        if local.time() > self.receipt_cutoff:
            return self.next_business_day(received)
        if not self.is_business_day(received):
            return self.next_business_day(received)
        return received


def _weekdays_upto(o: int) -> int:
    """Weekdays (Monday to Friday) with an ordinal in 1..``o``."""
    return o // 7 * 5 + min(o % 7, 5)


def _nth_weekday(m: int) -> int:
    """The ordinal of the ``m``-th weekday from 0001-01-01 (m >= 1)."""
    return (m - 1) // 5 * 7 + (m - 1) % 5 + 1


#: Calendars built from a holidays file, by (path, SHA-256): building one walks every
#: closure, and the request log asks for the calendar once per line.
_BUILT: dict[tuple[str, str], Calendar] = {}


def load_calendar(path: Path | None = None) -> Calendar:
    loaded = load_holidays(path)
    key = (loaded.path, loaded.sha256)
    found = _BUILT.get(key)
    if found is None:
        if len(_BUILT) > 16:
            _BUILT.clear()
        found = _BUILT[key] = Calendar.from_file(loaded)
    return found


def default_calendar() -> Calendar:
    """The calendar in force: ``SUNLIGHT_HOLIDAYS`` or the packaged Missouri file."""
    return load_calendar()

"""The public log's short clock (`clock.due_status`, `clocks.first_due`) says exactly what
the full arithmetic says (`clock.deadline(...).status`, `clocks_of`, `clock_of`), on
generated requests: pauses closed, open and overlapping, 0 to 10 business days, days
before, on and after the due date, holidays, and dates outside the holidays file (the
same error)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest

from sunlight.errors import SunlightError
from sunlight.requests import clock
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.clock import Pause
from sunlight.requests.clocks import Facts, clocks_of, first_due
from sunlight.requests.common import RESPONSE_DAYS
from sunlight.requests.states import Status


def _at(r: random.Random, calendar: Calendar) -> datetime:
    """A time from a few weeks before the holidays file's first day to a few after its last
    (mostly inside), around Christmas and New Year more often."""
    span = (calendar.last - calendar.first).days
    if r.random() < 0.3:
        year = r.randrange(calendar.first.year, calendar.last.year + 1)
        day = date(year, 12, r.randrange(15, 32))
    else:
        day = calendar.first + timedelta(days=r.randrange(-20, span + 20))
    return datetime(day.year, day.month, day.day, r.randrange(24), r.randrange(60), tzinfo=UTC)


def _pauses(r: random.Random, start: datetime) -> list[Pause]:
    found = []
    for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
        begin = start + timedelta(days=r.randrange(-3, 12), hours=r.randrange(24))
        end = None if r.random() < 0.2 else begin + timedelta(days=r.randrange(0, 9))
        found.append(Pause(begin, end, "waiting for the requester"))
    return found


def _outcome(call: Callable[[], object]) -> tuple[str, object]:
    """What a call answers, or the kind of domain error it raises."""
    try:
        return "ok", call()
    except SunlightError as exc:
        return "error", type(exc).__name__


def _full_deadline(
    received: datetime, n: int, pauses: list[Pause], today: date, calendar: Calendar
) -> tuple[date | None, str]:
    found = clock.deadline(received, n, calendar=calendar, pauses=pauses)
    return found.due, found.status(today)


def _full_first(facts: Facts, now: datetime, calendar: Calendar) -> tuple[date | None, str]:
    clocks = clocks_of(facts, now=now, calendar=calendar)
    if clocks:
        return clocks[0].due, clocks[0].state
    closed = clock.deadline(facts.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=facts.pauses)
    return closed.due, "closed"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_due_status_is_the_full_deadlines_due_and_status(seed: int) -> None:
    calendar = default_calendar()
    r = random.Random(seed)
    states: set[str] = set()
    for _ in range(1500):
        received = _at(r, calendar)
        n = r.choice([0, 1, 2, 3, 3, 3, 5, 10])
        pauses = _pauses(r, received)
        today = received.date() + timedelta(days=r.randrange(-2, 25))
        expected = _outcome(partial(_full_deadline, received, n, pauses, today, calendar))
        short = partial(
            clock.due_status, received, n, calendar=calendar, today=today, pauses=pauses
        )
        assert _outcome(short) == expected, (received, n, pauses, today)
        if expected[0] == "ok":
            states.add(str(expected[1][1]))  # type: ignore[index]
    # the generated cases reach every state
    assert states == {"on-time", "due-soon", "due-today", "overdue", "paused"}


@pytest.mark.parametrize("seed", [4, 5])
def test_first_due_is_clock_ofs_due_and_state(seed: int) -> None:
    calendar = default_calendar()
    r = random.Random(seed)
    for _ in range(1500):
        received = _at(r, calendar)
        status = r.choice(list(Status))
        available = received + timedelta(days=r.randrange(1, 30)) if r.random() < 0.7 else None
        asked = received + timedelta(days=r.randrange(0, 10)) if r.random() < 0.3 else None
        given = asked + timedelta(days=r.randrange(0, 10)) if asked and r.random() < 0.5 else None
        facts = Facts(str(status), received, available, asked, given, _pauses(r, received))
        now = received + timedelta(days=r.randrange(-1, 25), hours=r.randrange(24))
        expected = _outcome(partial(_full_first, facts, now, calendar))
        short = partial(first_due, facts, now=now, calendar=calendar)
        assert _outcome(short) == expected, (facts, now)

"""A request's clocks, computed when read (never stored): acting on the request (RSMo
610.023.3), the promised availability of a delayed request, and written grounds for a
denial; earliest due first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sunlight.requests import clock
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.common import GROUNDS_DAYS, KANSAS_CITY, RESPONSE_DAYS, ClockKind
from sunlight.requests.models import (
    RecordsRequest,
)
from sunlight.requests.states import (
    OPEN,
    Status,
)


@dataclass(frozen=True)
class RequestClock:
    """One running clock of a request, computed when read."""

    kind: ClockKind
    due: date | None  # None while paused (waiting for the requester's clarification)
    state: str  # on-time | due-soon | due-today | overdue | paused (| closed)
    deadline: clock.Deadline | None
    note: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "state": self.state,
            "note": self.note,
            "arithmetic": self.deadline.to_json() if self.deadline is not None else None,
        }


def pauses_of(request: RecordsRequest) -> list[clock.Pause]:
    return [clock.Pause(p.start, p.end, p.reason) for p in request.pauses]


@dataclass(frozen=True, slots=True)
class Facts:
    """What a request's clocks read: from the request (`of`), or from plain rows when many
    requests are counted (the statistics), so that both go through `running`."""

    status: str
    clock_from: datetime
    available_at: datetime | None = None
    grounds_requested_at: datetime | None = None
    grounds_given_at: datetime | None = None
    pauses: Sequence[clock.Pause] = ()

    @classmethod
    def of(cls, request: RecordsRequest) -> Facts:
        return cls(
            request.status,
            request.clock_from,
            request.available_at,
            request.grounds_requested_at,
            request.grounds_given_at,
            pauses_of(request),
        )


@dataclass(frozen=True, slots=True)
class Running:
    """A clock the request has running: counted in business days from ``counted_from``
    (with ``pauses``), or due on a fixed date (``fixed``: a delay's promised date)."""

    kind: ClockKind
    note: str
    counted_from: datetime | None = None
    business_days: int = 0
    pauses: Sequence[clock.Pause] = ()
    fixed: date | None = None


def running(facts: Facts) -> list[Running]:
    """The request's running clocks (the rules; `clocks_of` computes them, `overdue` only
    their due dates): acting on the request (while open and not delayed), the promised
    availability (while delayed), and written grounds for a denial (once asked for, until
    given)."""
    found: list[Running] = []
    status = Status(facts.status)
    if status in OPEN and status != Status.DELAYED:
        pauses = [p for p in facts.pauses if p.end is None or p.end > facts.clock_from]
        note = "act on the request (fulfil, deny, or delay with explanation): RSMo 610.023.3"
        if status == Status.CLARIFICATION_REQUESTED:
            note = "paused: waiting for the requester's clarification"
        found.append(Running("response", note, facts.clock_from, RESPONSE_DAYS, pauses))
    if status == Status.DELAYED and facts.available_at is not None:
        found.append(
            Running(
                "delay",
                f"the record promised by {facts.available_at.isoformat()} (RSMo 610.023.3)",
                fixed=facts.available_at.astimezone(KANSAS_CITY).date(),
            )
        )
    if facts.grounds_requested_at is not None and facts.grounds_given_at is None:
        found.append(
            Running(
                "grounds",
                "written grounds for the denial, citing the provision: RSMo 610.023.3",
                facts.grounds_requested_at,
                GROUNDS_DAYS,
            )
        )
    return found


def clocks_of(
    request: RecordsRequest | Facts, *, now: datetime, calendar: Calendar | None = None
) -> list[RequestClock]:
    """The request's running clocks (`running`), earliest due first."""
    calendar = calendar or default_calendar()
    today = calendar.received_date(now)
    facts = request if isinstance(request, Facts) else Facts.of(request)
    found: list[RequestClock] = []
    for each in running(facts):
        if each.counted_from is not None:
            deadline = clock.deadline(
                each.counted_from, each.business_days, calendar=calendar, pauses=each.pauses
            )
            found.append(
                RequestClock(each.kind, deadline.due, deadline.status(today), deadline, each.note)
            )
        else:
            due = each.fixed
            assert due is not None
            found.append(RequestClock(each.kind, due, _fixed_state(due, today), None, each.note))
    return sorted(found, key=due_key)


def _fixed_state(due: date, today: date) -> str:
    """The state of a clock due on a fixed date (a delay's promised date)."""
    if today > due:
        return "overdue"
    if today == due:
        return "due-today"
    return "due-soon" if (due - today).days <= 1 else "on-time"


def overdue(facts: Facts, *, today: date, calendar: Calendar) -> bool:
    """Whether any of the request's clocks is overdue on ``today`` (the calendar's
    ``received_date(now)``): what `clocks_of` says (``state == "overdue"``), from the due
    dates alone; it raises where `clocks_of` would (every clock is computed first)."""
    dues = [
        each.fixed
        if each.counted_from is None
        else clock.due_date(
            each.counted_from, each.business_days, calendar=calendar, pauses=each.pauses
        )
        for each in running(facts)
    ]
    return any(due is not None and today > due for due in dues)


def due_key(found: RequestClock) -> tuple[bool, date]:
    """Earliest due first; a paused clock (no due date) after every running one."""
    return _due_order(found.due)


def _due_order(due: date | None) -> tuple[bool, date]:
    return (due is None, due or date.max)


def clock_of(
    request: RecordsRequest, *, now: datetime, calendar: Calendar | None = None
) -> RequestClock:
    """The request's first clock; for a closed request, its last response deadline."""
    clocks = clocks_of(request, now=now, calendar=calendar)
    if clocks:
        return clocks[0]
    calendar = calendar or default_calendar()
    deadline = clock.deadline(
        request.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=pauses_of(request)
    )
    return RequestClock("response", deadline.due, "closed", deadline, "the request is closed")


def first_due(
    facts: Facts, *, now: datetime, calendar: Calendar | None = None
) -> tuple[date | None, str]:
    """`clock_of`'s due date and state alone, without the day-by-day arithmetic (for the
    public log and its download, which show only these): the same rules (`running`), the
    same order (`due_key`), the same answer and errors."""
    calendar = calendar or default_calendar()
    today = calendar.received_date(now)
    found: list[tuple[date | None, str]] = []
    for each in running(facts):
        if each.counted_from is not None:
            found.append(
                clock.due_status(
                    each.counted_from,
                    each.business_days,
                    calendar=calendar,
                    today=today,
                    pauses=each.pauses,
                )
            )
        else:
            due = each.fixed
            assert due is not None
            found.append((due, _fixed_state(due, today)))
    if found:
        return min(found, key=lambda f: _due_order(f[0]))  # `due_key`'s order
    due = clock.due_date(facts.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=facts.pauses)
    return due, "closed"

"""A request's clocks, computed when read (never stored): acting on the request (RSMo
610.023.3), the promised availability of a delayed request, and written grounds for a
denial; earliest due first."""

from __future__ import annotations

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


def clocks_of(
    request: RecordsRequest, *, now: datetime, calendar: Calendar | None = None
) -> list[RequestClock]:
    """The request's running clocks, earliest due first: acting on the request (while
    open and not delayed), the promised availability (while delayed), and written grounds
    for a denial (once asked for, until given)."""
    calendar = calendar or default_calendar()
    today = calendar.received_date(now)
    found: list[RequestClock] = []
    status = Status(request.status)
    if status in OPEN and status != Status.DELAYED:
        pauses = [p for p in pauses_of(request) if p.end is None or p.end > request.clock_from]
        deadline = clock.deadline(
            request.clock_from, RESPONSE_DAYS, calendar=calendar, pauses=pauses
        )
        note = "act on the request (fulfil, deny, or delay with explanation): RSMo 610.023.3"
        if status == Status.CLARIFICATION_REQUESTED:
            note = "paused: waiting for the requester's clarification"
        found.append(RequestClock("response", deadline.due, deadline.status(today), deadline, note))
    if status == Status.DELAYED and request.available_at is not None:
        due = request.available_at.astimezone(KANSAS_CITY).date()
        state = "overdue" if today > due else "due-today" if today == due else "on-time"
        if state == "on-time" and (due - today).days <= 1:
            state = "due-soon"
        found.append(
            RequestClock(
                "delay",
                due,
                state,
                None,
                f"the record promised by {request.available_at.isoformat()} (RSMo 610.023.3)",
            )
        )
    if request.grounds_requested_at is not None and request.grounds_given_at is None:
        deadline = clock.deadline(request.grounds_requested_at, GROUNDS_DAYS, calendar=calendar)
        found.append(
            RequestClock(
                "grounds",
                deadline.due,
                deadline.status(today),
                deadline,
                "written grounds for the denial, citing the provision: RSMo 610.023.3",
            )
        )
    return sorted(found, key=due_key)


def due_key(found: RequestClock) -> tuple[bool, date]:
    """Earliest due first; a paused clock (no due date) after every running one."""
    return (found.due is None, found.due or date.max)


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

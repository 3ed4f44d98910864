"""The records-request clock (RSMo 610.023.3), as pure functions over a `Calendar`.

A request is acted on "no later than the end of the third business day after the custodian
receives it": the day of receipt does not count; the next business days count 1, 2, 3 and
the third is the due date. Weekends and the closures in the holidays file are skipped, each
with its reason, so every deadline shows its arithmetic (``counted`` and ``skipped``).

Pauses (the custodian asked the requester to clarify): the clock counts whole days, so
**every day from the date the pause began through the date it ended (both in Kansas City,
both inclusive) is not counted**, skipped as ``paused: <reason>``. Counting resumes the day
after the pause ended: an answer is treated like a new receipt, whose own day does not
count, and the day the question was asked is not charged to the custodian either. Weekends
and holidays inside a pause are skipped for their own reason ("Saturday"), not the pause.
Overlapping pauses simply join. A pause that begins after the clock has already run out
does not change the due date. A pause still open (``end`` None) stops the clock: the
deadline then has no due date (``due`` None) and lists the days counted before it; that is
the only case without one.

Nothing here reads the wall clock: callers pass ``today``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sunlight.errors import InvalidInput
from sunlight.requests.calendar import Calendar

#: Business days in RSMo 610.023.3 (to act on a request; to give written grounds for a denial).
SUNSHINE_BUSINESS_DAYS = 3
#: The most business days one clock may run (about four years): a typo, not a deadline.
MAX_BUSINESS_DAYS = 1000

Status = Literal["on-time", "due-soon", "due-today", "overdue", "paused"]


@dataclass(frozen=True)
class Pause:
    """The clock stopped from ``start`` until ``end`` (None: still stopped)."""

    start: datetime
    end: datetime | None
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Skipped:
    """A day after receipt that did not count, and why ("Sunday", "paused: ...")."""

    date: date
    why: str

    def to_json(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "why": self.why}


@dataclass(frozen=True)
class Deadline:
    """A clock's due date with its arithmetic.

    ``due`` is None only while a pause is open (the clock is stopped). ``counted`` are the
    business days that counted, in order (the last is ``due``); ``skipped`` the days between
    receipt and the due date (or the open pause) that did not, with the reason.
    """

    received: date
    due: date | None
    business_days: int
    counted: list[date]
    skipped: list[Skipped]
    pauses: list[Pause]
    notes: list[str] = field(default_factory=list)
    calendar_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "due": self.due.isoformat() if self.due else None,
            "business_days": self.business_days,
            "counted": [d.isoformat() for d in self.counted],
            "skipped": [s.to_json() for s in self.skipped],
            "pauses": [p.to_json() for p in self.pauses],
            "notes": list(self.notes),
            "calendar_sha256": self.calendar_sha256,
        }

    def days_left(self, today: date) -> int | None:
        """Business days still to count after ``today`` (0 on the due date); when overdue,
        minus the calendar days since the due date; None while paused."""
        if self.due is None:
            return None
        if today > self.due:
            return -(today - self.due).days
        return sum(1 for d in self.counted if d > today)

    def status(self, today: date, *, soon: int = 1) -> Status:
        """``overdue`` after the due date, ``due-today`` on it, ``due-soon`` when at most
        ``soon`` business days are left, else ``on-time``; ``paused`` while a pause is open."""
        left = self.days_left(today)
        if left is None:
            return "paused"
        if left < 0:
            return "overdue"
        if left == 0:
            return "due-today"
        if left <= soon:
            return "due-soon"
        return "on-time"

    def explain(self) -> list[str]:
        """The arithmetic in words, one line each."""
        lines = [f"Received {_day(self.received)} (the day of receipt does not count)."]
        lines += self.notes
        skipped = {s.date: s.why for s in self.skipped}
        number = 0
        for d in sorted({*self.counted, *skipped}):
            if d in skipped:
                lines.append(f"  {_day(d)}: skipped, {skipped[d]}")
            else:
                number += 1
                lines.append(f"  {_day(d)}: business day {number} of {self.business_days}")
        for pause in self.pauses:
            until = pause.end.isoformat() if pause.end else "still open"
            lines.append(f"Paused {pause.start.isoformat()} to {until}: {pause.reason}")
        if self.due is None:
            lines.append(
                f"No due date while the clock is paused ({len(self.counted)} of "
                f"{self.business_days} business days counted so far)."
            )
        else:
            lines.append(f"Due by the end of {_day(self.due)}.")
        return lines


def _day(d: date) -> str:
    return f"{d:%a} {d.isoformat()}"


def deadline(
    received_at: datetime,
    business_days: int = SUNSHINE_BUSINESS_DAYS,
    *,
    calendar: Calendar,
    pauses: Sequence[Pause] = (),
) -> Deadline:
    """When a request received at ``received_at`` must be acted on: the end of the
    ``business_days``-th business day after the date of receipt in Kansas City."""
    received = calendar.received_date(received_at)
    notes = []
    arrived = calendar.local(received_at)
    if received != arrived.date():
        notes.append(
            f"Arrived {arrived:%a %Y-%m-%d %H:%M %Z}, after the {calendar.receipt_cutoff:%H:%M} "
            f"receipt cutoff or on a day the offices were closed: counted as received "
            f"{_day(received)}."
        )
    return _count(received, business_days, calendar, pauses, notes)


def add_business_days(start: date, n: int, *, calendar: Calendar) -> Deadline:
    """The ``n``-th business day after ``start`` (``start`` itself never counts; n = 0 is
    ``start`` if it is a business day, else the next one): for release and denial clocks."""
    return _count(start, n, calendar, (), [])


def _count(
    start: date, n: int, calendar: Calendar, pauses: Sequence[Pause], notes: list[str]
) -> Deadline:
    if not 0 <= n <= MAX_BUSINESS_DAYS:
        raise InvalidInput(
            f"business days must be between 0 and {MAX_BUSINESS_DAYS}, not {n}",
            diagnostics={"business_days": n},
        )
    stopped, open_from = _paused_days(pauses, calendar)
    counted: list[date] = []
    skipped: list[Skipped] = []
    due: date | None = None
    day = start if n == 0 else start + timedelta(days=1)
    while True:
        if open_from is not None and day >= open_from:
            break
        why = calendar.why_not(day)
        if why is None and day in stopped:
            why = f"paused: {stopped[day].reason}"
        if why is not None:
            skipped.append(Skipped(day, why))
        elif n == 0:
            due = day
            break
        else:
            counted.append(day)
            if len(counted) == n:
                due = day
                break
        day += timedelta(days=1)
    return Deadline(
        received=start,
        due=due,
        business_days=n,
        counted=counted,
        skipped=skipped,
        pauses=sorted(pauses, key=lambda p: p.start),
        notes=notes,
        calendar_sha256=calendar.sha256,
    )


def _paused_days(
    pauses: Sequence[Pause], calendar: Calendar
) -> tuple[dict[date, Pause], date | None]:
    """The dates closed pauses stop the clock on (first pause wins a date), and the first
    date of the earliest open pause."""
    stopped: dict[date, Pause] = {}
    open_from: date | None = None
    for pause in pauses:  # refuse naive times before sorting compares them
        calendar.local(pause.start)
        if pause.end is not None:
            calendar.local(pause.end)
        if not pause.reason.strip():
            raise InvalidInput("a pause needs a reason")
    for pause in sorted(pauses, key=lambda p: p.start):
        first = calendar.local_date(pause.start)
        if pause.end is None:
            open_from = first if open_from is None else min(open_from, first)
            continue
        if pause.end < pause.start:
            raise InvalidInput(
                f"a pause cannot end ({pause.end.isoformat()}) before it starts "
                f"({pause.start.isoformat()})"
            )
        last = calendar.local_date(pause.end)
        day = first
        while day <= last:
            stopped.setdefault(day, pause)
            day += timedelta(days=1)
    return stopped, open_from

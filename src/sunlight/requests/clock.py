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


def due_date(
    received_at: datetime,
    business_days: int = SUNSHINE_BUSINESS_DAYS,
    *,
    calendar: Calendar,
    pauses: Sequence[Pause] = (),
) -> date | None:
    """`deadline`'s due date alone, without the day-by-day arithmetic (for counting many
    requests): the same rule, and the same errors."""
    received = calendar.received_date(received_at)
    _check_days(business_days)
    spans, open_from = _pause_spans(pauses, calendar)
    return _due(received, business_days, calendar, spans, open_from)


def due_status(
    received_at: datetime,
    business_days: int = SUNSHINE_BUSINESS_DAYS,
    *,
    calendar: Calendar,
    today: date,
    pauses: Sequence[Pause] = (),
    soon: int = 1,
) -> tuple[date | None, Status]:
    """`deadline`'s due date and its ``status(today, soon=soon)``, without the day-by-day
    arithmetic (for a list of many requests, such as the public log): the same rule, the
    same answer, the same errors."""
    received = calendar.received_date(received_at)
    _check_days(business_days)
    spans, open_from = _pause_spans(pauses, calendar)
    due = _due(received, business_days, calendar, spans, open_from)
    if due is None:
        return None, "paused"
    if today > due:
        return due, "overdue"
    if today == due:
        return due, "due-today"
    if business_days == 0:  # nothing is counted: `Deadline.days_left` is 0
        return due, "due-today"
    # the counted days still to come: business days after today (and after the day of
    # receipt) up to the due date, less those inside a closed pause
    after, through = max(today.toordinal(), received.toordinal()), due.toordinal()
    left = calendar.business_ordinals(after, through)
    for first, last in _merged(spans):
        if last > after and first <= through:
            left -= calendar.business_ordinals(max(after, first - 1), min(through, last))
    if left <= soon:
        return due, "due-soon"
    return due, "on-time"


def _merged(spans: Sequence[_Span]) -> list[tuple[int, int]]:
    """The spans' days as disjoint (first, last) ordinal ranges, in order."""
    merged: list[tuple[int, int]] = []
    for first, last, _ in sorted(spans, key=lambda s: s[0]):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def add_business_days(start: date, n: int, *, calendar: Calendar) -> Deadline:
    """The ``n``-th business day after ``start`` (``start`` itself never counts; n = 0 is
    ``start`` if it is a business day, else the next one): for release and denial clocks."""
    return _count(start, n, calendar, (), [])


def _check_days(n: int) -> None:
    if not 0 <= n <= MAX_BUSINESS_DAYS:
        raise InvalidInput(
            f"business days must be between 0 and {MAX_BUSINESS_DAYS}, not {n}",
            diagnostics={"business_days": n},
        )


#: A closed pause as the days it stops the clock on: (first, last) ordinals, both inclusive.
_Span = tuple[int, int, Pause]


def _due(
    start: date, n: int, calendar: Calendar, spans: Sequence[_Span], open_from: date | None
) -> date | None:
    """The rule, by arithmetic: the ``n``-th day after ``start`` (n = 0: the first day from
    ``start`` on) that is a business day and not in a closed pause; None when a pause still
    open begins first. It is refused (`CalendarOutOfRange`) exactly when counting day by
    day from ``start`` to that day (or to the open pause) would meet a date the holidays
    file does not cover."""
    first = start.toordinal() + (1 if n > 0 else 0)  # the day of receipt does not count
    stop = open_from.toordinal() if open_from is not None else None
    if stop is not None and first >= stop:
        return None
    position, wanted = first - 1, max(n, 1)
    for span_first, span_last, _ in spans:  # in order of their first day
        if span_last <= position:
            continue
        between = calendar.business_ordinals(position, span_first - 1)
        if between >= wanted:
            break
        wanted -= between
        position = max(position, span_last)
    due = calendar.nth_business_ordinal(position, wanted)
    stopped = stop is not None and due >= stop
    last = stop - 1 if stop is not None and stopped else due
    outside = calendar.first_uncovered(date.fromordinal(first), date.fromordinal(last))
    if outside is not None:
        calendar.covered(outside)
    return None if stopped else date.fromordinal(due)


def _count(
    start: date, n: int, calendar: Calendar, pauses: Sequence[Pause], notes: list[str]
) -> Deadline:
    _check_days(n)
    spans, open_from = _pause_spans(pauses, calendar)
    due = _due(start, n, calendar, spans, open_from)
    # The arithmetic shown: each day from the first counted up to the due date (or the
    # open pause), counted or skipped with its reason.
    counted: list[date] = []
    skipped: list[Skipped] = []
    day = start if n == 0 else start + timedelta(days=1)
    if due is not None:
        end = due
    else:  # only an open pause leaves no due date
        assert open_from is not None
        end = open_from - timedelta(days=1)
    while day <= end:
        why = calendar.why_not(day)
        if why is None:
            ordinal = day.toordinal()
            pause = next((p for f, last, p in spans if f <= ordinal <= last), None)
            why = f"paused: {pause.reason}" if pause is not None else None
        if why is not None:
            skipped.append(Skipped(day, why))
        elif n > 0:
            counted.append(day)
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


def _pause_spans(pauses: Sequence[Pause], calendar: Calendar) -> tuple[list[_Span], date | None]:
    """The days closed pauses stop the clock on, in order of their start (where two
    overlap, the first has the day), and the first date of the earliest open pause."""
    spans: list[_Span] = []
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
        spans.append((first.toordinal(), calendar.local_date(pause.end).toordinal(), pause))
    return spans, open_from

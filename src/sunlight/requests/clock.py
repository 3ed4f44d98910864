"""PLACEHOLDER until the ``clock`` helper's clock lands (merge takes theirs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sunlight.requests.calendar import Calendar

Status = Literal["on-time", "due-soon", "due-today", "overdue"]


@dataclass(frozen=True)
class Pause:
    start: datetime
    end: datetime | None
    reason: str


@dataclass(frozen=True)
class Skipped:
    date: date
    why: str


@dataclass(frozen=True)
class Deadline:
    received: date
    due: date
    business_days: int
    counted: list[date] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    pauses: list[Pause] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received.isoformat(),
            "due": self.due.isoformat(),
            "business_days": self.business_days,
            "counted": [d.isoformat() for d in self.counted],
            "skipped": [{"date": s.date.isoformat(), "why": s.why} for s in self.skipped],
            "pauses": [
                {
                    "start": p.start.isoformat(),
                    "end": p.end.isoformat() if p.end else None,
                    "reason": p.reason,
                }
                for p in self.pauses
            ],
        }

    def status(self, today: date) -> Status:
        if today > self.due:
            return "overdue"
        if today == self.due:
            return "due-today"
        if (self.due - today).days <= 1:
            return "due-soon"
        return "on-time"


def add_business_days(start_date: date, n: int, *, calendar: Calendar) -> Deadline:
    return _count(start_date, n, calendar, [], set())


def deadline(
    received_at: datetime,
    business_days: int = 3,
    *,
    calendar: Calendar,
    pauses: list[Pause] | None = None,
) -> Deadline:
    pauses = list(pauses or [])
    paused: set[date] = set()
    for p in pauses:
        start = calendar.received_date(p.start)
        end = calendar.received_date(p.end) if p.end else date.max - timedelta(days=1)
        day = start
        while day <= end and len(paused) < 4000:
            paused.add(day)
            day += timedelta(days=1)
    return _count(calendar.received_date(received_at), business_days, calendar, pauses, paused)


def _count(
    start: date, n: int, calendar: Calendar, pauses: list[Pause], paused: set[date]
) -> Deadline:
    counted: list[date] = []
    skipped: list[Skipped] = []
    day = start
    while len(counted) < n and len(skipped) < 4000:
        day += timedelta(days=1)
        why = calendar.closed(day)
        if why is None and day in paused:
            why = "clock paused"
        if why is None:
            counted.append(day)
        else:
            skipped.append(Skipped(day, why))
    return Deadline(start, day, n, counted, skipped, pauses)

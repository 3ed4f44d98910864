"""PLACEHOLDER until the ``clock`` helper's calendar lands (merge takes theirs).

Weekends only plus a fixed America/Chicago receipt date: enough for the requests domain
to be written and tested against the agreed interface.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

KC = ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Calendar:
    closures: dict[date, str]

    def received_date(self, dt: datetime) -> date:
        return dt.astimezone(KC).date()

    def closed(self, day: date) -> str | None:
        if day.weekday() >= 5:
            return "weekend"
        return self.closures.get(day)


def default_calendar() -> Calendar:
    return Calendar({date(2026, 12, 25): "Christmas Day (RSMo 9.010)"})

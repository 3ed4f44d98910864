"""Fees for records requests (RSMo 610.026), as published constants.

Missouri lets a public body charge for search, copying, and (for records that need it)
the time spent reviewing them, at the rate of the lowest-paid employee able to do the
work. These are the department's published rates; ``docs/requests.md`` prints them.

Clock behaviour: sending an estimate or asking for prepayment does **not** stop the
three-business-day clock (acting on a request includes telling the requester the cost);
a request whose prepayment is outstanding cannot be marked fulfilled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sunlight.errors import InvalidInput

#: Hourly rates in US cents (RSMo 610.026.1(1): the lowest-paid employee able to do it).
SEARCH_CENTS_PER_HOUR = 2400
REVIEW_CENTS_PER_HOUR = 2400  # reviewing footage for exempt material (RSMo 610.024)
#: Copying: per recording delivered electronically (the medium's cost: nothing for a link).
COPY_CENTS_PER_RECORDING = 0
#: Below this the department waives the fee.
WAIVE_BELOW_CENTS = 500
#: Prepayment may be asked above this estimate.
PREPAY_ABOVE_CENTS = 10000
MAX_HOURS = 1000


@dataclass(frozen=True)
class Estimate:
    search_hours: float
    review_hours: float
    recordings: int
    search_cents: int
    review_cents: int
    copy_cents: int
    total_cents: int
    waived: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "search_hours": self.search_hours,
            "review_hours": self.review_hours,
            "recordings": self.recordings,
            "search_cents": self.search_cents,
            "review_cents": self.review_cents,
            "copy_cents": self.copy_cents,
            "total_cents": self.total_cents,
            "waived": self.waived,
            "rates": rates(),
        }


def rates() -> dict[str, int]:
    return {
        "search_cents_per_hour": SEARCH_CENTS_PER_HOUR,
        "review_cents_per_hour": REVIEW_CENTS_PER_HOUR,
        "copy_cents_per_recording": COPY_CENTS_PER_RECORDING,
        "waive_below_cents": WAIVE_BELOW_CENTS,
        "prepay_above_cents": PREPAY_ABOVE_CENTS,
    }


def estimate(search_hours: float, review_hours: float, recordings: int) -> Estimate:
    for name, hours in (("search_hours", search_hours), ("review_hours", review_hours)):
        if not 0 <= hours <= MAX_HOURS:
            raise InvalidInput(f"{name} must be between 0 and {MAX_HOURS}")
    if not 0 <= recordings <= 100_000:
        raise InvalidInput("recordings must be between 0 and 100000")
    search = round(search_hours * SEARCH_CENTS_PER_HOUR)
    review = round(review_hours * REVIEW_CENTS_PER_HOUR)
    copy = recordings * COPY_CENTS_PER_RECORDING
    total = search + review + copy
    waived = total < WAIVE_BELOW_CENTS
    return Estimate(
        search_hours=search_hours,
        review_hours=review_hours,
        recordings=recordings,
        search_cents=search,
        review_cents=review,
        copy_cents=copy,
        total_cents=0 if waived else total,
        waived=waived,
    )


def dollars(cents: int | None) -> str:
    return "" if cents is None else f"${cents // 100}.{cents % 100:02d}"

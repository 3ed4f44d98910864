"""The records-request figure's overdue count on generated requests with known answers, on
both back ends: paused (closed and still open pauses), delayed, with written grounds asked
for, across holidays, and outside the holidays file. Each request's answer is checked
against a day-by-day count written here (not the clock module's arithmetic), against
`clocks_of` on the request itself, and the figure's counts against both."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.errors import SunlightError
from sunlight.requests.calendar import Calendar, default_calendar
from sunlight.requests.clock import Pause
from sunlight.requests.clocks import Facts, clocks_of, overdue
from sunlight.requests.common import KANSAS_CITY
from sunlight.requests.models import RecordsRequest, RequestPause
from sunlight.requests.states import CLOSED, OPEN, Status
from sunlight.runtime import Runtime
from sunlight.stats.figures import OPEN_ON_TIME, OPEN_OVERDUE, Range, requests
from sunlight.stats.policy import load_stats_policy

#: Monday 28 December 2026, 10:00 in Kansas City (Friday the 25th was Christmas Day).
NOW = datetime(2026, 12, 28, 16, 0, tzinfo=UTC)
TODAY = date(2026, 12, 28)
RANGE = Range(date(2019, 1, 1), date(2026, 12, 31))


def kc(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in Kansas City on ``day``, in UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=KANSAS_CITY).astimezone(UTC)


def walk_due(calendar: Calendar, at: datetime, n: int, pauses: list[Pause]) -> date | None:
    """The due date counted day by day, as RSMo 610.023.3 reads: the day of receipt does
    not count; weekends, closures and the days of a closed pause (Kansas City dates, both
    ends included) are skipped; a pause still open stops the count (None)."""
    day = at.astimezone(KANSAS_CITY).date()
    calendar.covered(day)
    opened = [p.start.astimezone(KANSAS_CITY).date() for p in pauses if p.end is None]
    stops = min(opened) if opened else None
    closed = [
        (p.start.astimezone(KANSAS_CITY).date(), p.end.astimezone(KANSAS_CITY).date())
        for p in pauses
        if p.end is not None
    ]
    counted = 0
    while True:
        day += timedelta(days=1)
        if stops is not None and day >= stops:
            return None
        if calendar.is_business_day(day) and not any(a <= day <= b for a, b in closed):
            counted += 1
            if counted == n:
                return day


def expected_overdue(calendar: Calendar, facts: Facts) -> bool:
    """The answer by hand: any running clock past its due date; a date outside the
    holidays file counts as on time."""
    status = Status(facts.status)
    dues: list[date | None] = []
    try:
        if status != Status.DELAYED:
            pauses = [p for p in facts.pauses if p.end is None or p.end > facts.clock_from]
            dues.append(walk_due(calendar, facts.clock_from, 3, pauses))
        elif facts.available_at is not None:
            dues.append(facts.available_at.astimezone(KANSAS_CITY).date())
        if facts.grounds_requested_at is not None and facts.grounds_given_at is None:
            dues.append(walk_due(calendar, facts.grounds_requested_at, 3, []))
    except SunlightError:
        return False
    return any(d is not None and d < TODAY for d in dues)


#: name -> (status, received, pauses as (start, end or None), available, grounds asked), and
#: whether it is overdue on Monday 28 December 2026.
KNOWN: dict[
    str,
    tuple[Status, datetime, list[tuple[datetime, datetime | None]], date | None, date | None, bool],
] = {
    # 23, 24, (Christmas), 28: due today
    "across Christmas": (Status.RECEIVED, kc(date(2026, 12, 22)), [], None, None, False),
    "due Thursday 24": (Status.ACKNOWLEDGED, kc(date(2026, 12, 21)), [], None, None, True),
    # paused Monday 21 and Tuesday 22: 23, 24, 28
    "paused two days": (
        Status.IN_PROGRESS,
        kc(date(2026, 12, 18)),
        [(kc(date(2026, 12, 21), 9), kc(date(2026, 12, 22), 15))],
        None,
        None,
        False,
    ),
    "waiting for a clarification": (
        Status.CLARIFICATION_REQUESTED,
        kc(date(2026, 12, 16)),
        [(kc(date(2026, 12, 17)), None)],
        None,
        None,
        False,
    ),
    "delay promised for the 23rd": (
        Status.DELAYED,
        kc(date(2026, 12, 14)),
        [],
        date(2026, 12, 23),
        None,
        True,
    ),
    "delay promised for today": (
        Status.DELAYED,
        kc(date(2026, 12, 14)),
        [],
        date(2026, 12, 28),
        None,
        False,
    ),
    # the response is due the 29th, the grounds asked on the 17th were due the 22nd
    "grounds overdue": (
        Status.REOPENED,
        kc(date(2026, 12, 23)),
        [],
        None,
        date(2026, 12, 17),
        True,
    ),
    "outside the holidays file": (Status.RECEIVED, kc(date(2019, 12, 2)), [], None, None, False),
    # Thanksgiving (the 26th): 25 is receipt; 27, 30, 1 December
    "across Thanksgiving": (Status.IN_PROGRESS, kc(date(2026, 11, 25)), [], None, None, True),
}


def add_request(
    session: Session,
    n: int,
    status: Status,
    received: datetime,
    pauses: list[tuple[datetime, datetime | None]],
    available: date | None,
    grounds: date | None,
) -> RecordsRequest:
    request = RecordsRequest(
        tracking_number=f"T-{n:06d}",
        token_sha256=f"{n:064d}",
        requester_name="Test",
        requester_email="test@example.org",
        requester_type="public",
        description="footage",
        received_at=received,
        received_date=received.astimezone(KANSAS_CITY).date(),
        status=str(status),
        status_at=received,
        clock_from=received,
        available_at=kc(available, 12) if available else None,
        grounds_requested_at=kc(grounds, 11) if grounds else None,
    )
    session.add(request)
    session.flush()
    for start, end in pauses:
        session.add(RequestPause(request_id=request.id, start=start, end=end, reason="clarify"))
    return request


def generated(
    seed: int, count: int
) -> list[
    tuple[Status, datetime, list[tuple[datetime, datetime | None]], date | None, date | None]
]:
    """Requests received in the six weeks before today (across Thanksgiving and
    Christmas), with closed pauses (some before the clock started again, some over
    weekends and holidays), open pauses, delays and grounds; a few closed ones."""
    pick = random.Random(seed)
    found = []
    for _ in range(count):
        received = kc(date(2026, 11, 16), 0) + timedelta(minutes=pick.randrange(0, 42 * 24 * 60))
        status = pick.choice([*sorted(OPEN), *sorted(CLOSED)[:1]])
        pauses: list[tuple[datetime, datetime | None]] = []
        for _ in range(pick.choice([0, 0, 1, 1, 2])):
            start = received + timedelta(minutes=pick.randrange(-3 * 24 * 60, 8 * 24 * 60))
            end = (
                None
                if pick.random() < 0.2
                else start + timedelta(minutes=pick.randrange(0, 6 * 24 * 60))
            )
            pauses.append((start, end))
        available = (
            received.date() + timedelta(days=pick.randrange(1, 30))
            if status == Status.DELAYED and pick.random() < 0.8
            else None
        )
        grounds = (
            received.date() + timedelta(days=pick.randrange(0, 20))
            if pick.random() < 0.15
            else None
        )
        found.append((Status(status), received, pauses, available, grounds))
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_overdue_open_requests_as_counted_by_hand_and_by_clocks_of(
    runtime: Runtime, seed: int
) -> None:
    calendar = default_calendar()
    with runtime.db.session() as session:
        names: dict[int, str] = {}
        for n, (name, (status, received, pauses, available, grounds, _)) in enumerate(
            KNOWN.items()
        ):
            request = add_request(session, n, status, received, pauses, available, grounds)
            names[request.id] = name
        for n, case in enumerate(generated(seed, 120), start=len(KNOWN)):
            add_request(session, n, *case)
        session.commit()

    with runtime.db.session() as session:
        loaded = session.scalars(
            select(RecordsRequest).options(selectinload(RecordsRequest.pauses))
        ).all()
        by_hand: Counter[str] = Counter()
        by_clocks: Counter[str] = Counter()
        seen = Counter[str]()
        for request in loaded:
            if Status(request.status) not in OPEN:
                continue
            facts = Facts.of(request)
            hand = expected_overdue(calendar, facts)
            try:
                clocks = any(c.state == "overdue" for c in clocks_of(request, now=NOW))
            except SunlightError:
                clocks = False
            try:
                fast = overdue(facts, today=TODAY, calendar=calendar)
            except SunlightError:
                fast = False
            assert (fast, clocks) == (hand, hand), (request.id, names.get(request.id), facts)
            if request.id in names:
                assert hand is KNOWN[names[request.id]][-1], names[request.id]
            by_hand[OPEN_OVERDUE if hand else OPEN_ON_TIME] += 1
            by_clocks[OPEN_OVERDUE if clocks else OPEN_ON_TIME] += 1
            seen["paused" if request.pauses else "plain"] += 1
            seen["overdue" if hand else "on time"] += 1
        assert by_hand == by_clocks
        # the mix the generator promises
        assert min(seen["paused"], seen["plain"], seen["overdue"], seen["on time"]) >= 10, seen

        rows = requests(session, RANGE, NOW, load_stats_policy().policy)
    counts = {row.labels[0]: row.values["requests"] for row in rows}
    assert counts[OPEN_OVERDUE] == by_hand[OPEN_OVERDUE]
    assert counts[OPEN_ON_TIME] == by_hand[OPEN_ON_TIME]

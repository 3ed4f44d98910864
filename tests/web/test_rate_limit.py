"""The public writes' rate limit (``web/rate_limit.py``): a write that fails with a 4xx
gives its slot back, a flood of failing writes still meets the attempts ceiling."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.exceptions import RequestValidationError

from sunlight.errors import Busy, InvalidInput, NotFound
from sunlight.web.rate_limit import RateLimit, stored_nothing


def test_a_kept_write_uses_its_slot() -> None:
    limiter = RateLimit(2, 3600)
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(HTTPException) as refused:
        limiter.take("a")
    assert refused.value.status_code == 429 and refused.value.headers == {"Retry-After": "3600"}
    limiter.take("b")  # per address


def test_a_failed_write_gives_its_slot_back_but_keeps_its_attempt() -> None:
    limiter = RateLimit(2, 3600, attempts=5)
    for _ in range(3):
        slot = limiter.take("a")
        slot.give_back()
        slot.give_back()  # twice is once
    limiter.take("a")
    limiter.take("a")  # the two writes are still there
    with pytest.raises(HTTPException):  # and now the writes are used
        limiter.take("a")


def test_a_flood_of_failed_writes_meets_the_attempts_ceiling() -> None:
    limiter = RateLimit(2, 3600)
    assert limiter.attempts == 6
    for _ in range(6):
        limiter.take("a").give_back()
    with pytest.raises(HTTPException) as refused:
        limiter.take("a")
    assert refused.value.status_code == 429


def test_the_window_moves_on(monkeypatch: pytest.MonkeyPatch) -> None:
    import sunlight.web.rate_limit as rate_limit

    now = [1000.0]
    monkeypatch.setattr(rate_limit.time, "monotonic", lambda: now[0])
    limiter = RateLimit(1, 60, attempts=2)
    slot = limiter.take("a")
    with pytest.raises(HTTPException):
        limiter.take("a")
    now[0] += 61
    slot.give_back()  # out of the window already: nothing to give back, no error
    limiter.take("a")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (RequestValidationError([]), True),
        (HTTPException(status_code=404), True),
        (HTTPException(status_code=500), False),
        (InvalidInput("no"), True),
        (NotFound("no"), True),
        (Busy("busy"), False),
        (RuntimeError("bug"), False),
    ],
)
def test_which_failures_stored_nothing(error: Exception, expected: bool) -> None:
    assert stored_nothing(error) is expected

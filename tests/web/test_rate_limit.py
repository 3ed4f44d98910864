"""The public writes' rate limit (``web/rate_limit.py``): a write that fails with a 4xx
gives its slot back, a flood of failing writes still meets the attempts ceiling."""

from __future__ import annotations

import pytest
from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError

from sunlight.errors import Busy, InvalidInput, NotFound
from sunlight.web.rate_limit import RateLimit, client_key, stored_nothing


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


def _request(host: str) -> Request:
    return Request({"type": "http", "method": "POST", "headers": [], "client": (host, 40000)})


def test_one_ipv6_network_is_one_address() -> None:
    """An IPv6 client holds a whole /64 (18 quintillion addresses): keyed by the address, it
    would file without limit, one address a try."""
    first, other = client_key(_request("2001:db8:1:2::1")), client_key(_request("2001:db8:1:2::ff"))
    assert first == other
    assert client_key(_request("2001:db8:1:3::1")) != first  # another network
    assert client_key(_request("203.0.113.7")) == "203.0.113.7"
    assert client_key(_request("::ffff:203.0.113.7")) == "203.0.113.7"  # IPv4, mapped
    assert client_key(_request("testclient")) == "testclient"


def test_addresses_gone_quiet_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    """The windows of addresses with nothing left in them are dropped, whether or not they
    came back: a stream of one-off addresses cannot grow the limiter without bound."""
    import sunlight.web.rate_limit as rate_limit

    now = [1000.0]
    monkeypatch.setattr(rate_limit.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(rate_limit, "MAX_KEYS", 10)
    limiter = RateLimit(1, 60)
    for n in range(10):
        limiter.take(f"old-{n}")
    now[0] += 61
    for n in range(10):
        limiter.take(f"new-{n}")
    assert len(limiter._seen) <= 11

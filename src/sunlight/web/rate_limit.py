"""The rate limit on public writes (the records-request intake, policy comments): per client
address (an IPv6 one by its /64 network), in memory (one server process), two sliding
windows:

- **writes**: at most ``limit`` kept writes in ``window_s`` seconds;
- **attempts**: at most ``attempts`` tries in the same window (default three times
  ``limit``), kept or not.

A try takes one of each. A try that fails and stores nothing (a 4xx: the form did not
validate, the policy version does not exist, ...) gives its write back and keeps its
attempt, so a resident who mistypes a few times is not locked out of filing, while a flood
of refused writes still meets the attempts ceiling (429 with ``Retry-After``). A server
error (5xx) keeps both: it may be a flood the server could not take.

Routes use :func:`limited` as a dependency; a route that answers a 4xx itself instead of
raising (a form re-shown with its error) calls :meth:`Slot.give_back`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from sunlight.errors import SunlightError, http_status

#: How many tries, kept or not, a client address has for each kept write allowed.
ATTEMPTS_PER_WRITE = 3
#: At this many client addresses held, the ones with nothing in the window are dropped.
MAX_KEYS = 10_000


@dataclass
class _Window:
    writes: deque[float] = field(default_factory=deque)
    attempts: deque[float] = field(default_factory=deque)


@dataclass
class Slot:
    """One try's place in the window; :meth:`give_back` returns its write (not its
    attempt). Giving back twice, or after the window moved on, does nothing."""

    limiter: RateLimit
    key: str
    taken_at: float
    given_back: bool = False

    def give_back(self) -> None:
        if not self.given_back:
            self.given_back = True
            self.limiter.release(self.key, self.taken_at)


class RateLimit:
    """Sliding windows per client address: ``limit`` kept writes and ``attempts`` tries
    (default ``ATTEMPTS_PER_WRITE * limit``) per ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float, attempts: int | None = None) -> None:
        self.limit, self.window_s = limit, window_s
        self.attempts = attempts if attempts is not None else ATTEMPTS_PER_WRITE * limit
        self._seen: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> Slot:
        """A slot for one try, or 429 when the address has used its writes or its tries."""
        now = time.monotonic()
        with self._lock:
            window = self._seen.setdefault(key, _Window())
            for seen in (window.writes, window.attempts):
                while seen and seen[0] <= now - self.window_s:
                    seen.popleft()
            if len(window.writes) >= self.limit or len(window.attempts) >= self.attempts:
                raise HTTPException(
                    status_code=429,
                    detail="too many requests from this address; try again later",
                    headers={"Retry-After": str(int(self.window_s))},
                )
            window.writes.append(now)
            window.attempts.append(now)
            if len(self._seen) > MAX_KEYS:
                # keep the addresses with a try still in the window (the newest is last)
                since = now - self.window_s
                self._seen = {k: v for k, v in self._seen.items() if v.attempts[-1] > since}
        return Slot(self, key, now)

    def check(self, key: str) -> None:
        """Take a slot and keep it (a try counted as a kept write)."""
        self.take(key)

    def release(self, key: str, taken_at: float) -> None:
        with self._lock:
            window = self._seen.get(key)
            if window is not None:
                with contextlib.suppress(ValueError):  # already out of the window
                    window.writes.remove(taken_at)


def stored_nothing(error: BaseException) -> bool:
    """Whether a write that raised ``error`` was refused as the client's fault (a 4xx):
    its transaction rolled back, nothing was kept."""
    if isinstance(error, RequestValidationError | ValidationError):
        return True
    if isinstance(error, HTTPException):
        return 400 <= error.status_code < 500
    if isinstance(error, SunlightError):
        return 400 <= http_status(error) < 500
    return False


_limiters_lock = threading.Lock()


#: An IPv6 client is counted by its network: a home or a server is handed a whole /64.
IPV6_PREFIX = 64


def client_key(request: Request) -> str:
    """The address a client's tries are counted under: an IPv4 address (also one written
    as IPv6, ``::ffff:a.b.c.d``) as it is, an IPv6 one by its /64 network (one client may
    take any address in it), anything else (a test client's name) as it is."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def limited(state_name: str, rate: tuple[int, float]) -> Callable[[Request], Iterator[Slot]]:
    """A dependency that takes a slot from the application's limiter ``state_name`` (made
    on first use with ``rate``: writes allowed, window in seconds) and gives the write back
    if the route fails with a 4xx."""

    def dependency(request: Request) -> Iterator[Slot]:
        state = request.app.state
        with _limiters_lock:
            limiter = getattr(state, state_name, None)
            if not isinstance(limiter, RateLimit):
                limiter = RateLimit(*rate)
                setattr(state, state_name, limiter)
        slot = limiter.take(client_key(request))
        try:
            yield slot
        except Exception as error:
            if stored_nothing(error):
                slot.give_back()
            raise

    dependency.__name__ = f"limited_{state_name}"
    return dependency

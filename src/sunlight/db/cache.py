"""A small in-process cache for public read-only results that change rarely (the release
list's pages, the statistics figures): each entry is kept with the *version* of the data it
was computed from, read from the database on every request (a cheap aggregate, e.g. the
count and id sum of published releases), and with the moment it was computed.

An entry is served only while its version equals the version just read (so a release
published or withdrawn is seen by the very next request, in every process, with nothing to
notify) and, but for the moments while another thread computes it afresh, while it is
younger than ``ttl`` (which bounds how long a change the version does not cover, such as an
edited incident type or, for the statistics, a new records request, can go unseen). Clocks
are passed in: ``now`` is the request's own time, so a test's clock works as the wall
clock does.

A result that takes seconds to compute (the statistics) may also be *refreshed in the
background*: given a ``refresh`` that needs nothing of the request (it opens its own
session), a kept result whose version holds and which is older than ``ttl`` by less than
``stale_for`` is served at once, to every visitor, while one background thread computes it
afresh; nobody waits for it. Past ``stale_for`` (a site nobody visited for a while) the
visitor who finds it waits for a new one, as without ``refresh``.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sunlight.db.engine import Database

T = TypeVar("T")

log = logging.getLogger(__name__)


_MISS = object()
#: Computations of one key wait for each other (one computes, the rest are then served):
#: keys share this many locks.
GATES = 64


class VersionedCache(Generic[T]):
    """Up to ``size`` results keyed by ``key``; least recently used dropped first. While one
    thread computes a key's result, other threads asking for that key wait for it rather
    than compute it again (a hundred clients on a cold page make one computation), or, when
    the kept result is only older than ``ttl`` (its version still holds), are served that
    one meanwhile. A result of another version is never served."""

    def __init__(
        self, *, ttl: timedelta, size: int = 1024, stale_for: timedelta = timedelta(0)
    ) -> None:
        self.ttl = ttl
        self.size = size
        self.stale_for = stale_for
        self._refreshing: dict[Hashable, threading.Thread] = {}
        self._entries: OrderedDict[Hashable, tuple[Hashable, datetime, T]] = OrderedDict()
        self._lock = threading.Lock()
        self._gates = [threading.RLock() for _ in range(GATES)]
        self._computing = threading.local()
        self.hits = 0
        self.misses = 0
        self.stale = 0

    def _fresh(self, key: Hashable, version: Hashable, now: datetime) -> object:
        found = self._entries.get(key)
        if found is None or found[0] != version or not timedelta(0) <= now - found[1] < self.ttl:
            return _MISS
        self._entries.move_to_end(key)
        self.hits += 1
        return found[2]

    def get(
        self,
        key: Hashable,
        version: Hashable,
        now: datetime,
        compute: Callable[[], T],
        *,
        refresh: Callable[[], T] | None = None,
    ) -> T:
        """The result kept for ``key`` at ``version`` and younger than ``ttl`` at ``now``,
        else ``compute()`` (then kept). With ``refresh`` (a computation of the same result
        that needs nothing of the caller's, such as its session), a kept result of this
        version younger than ``ttl + stale_for`` is returned at once and ``refresh`` runs in
        a background thread (one per key at a time)."""
        if getattr(self._computing, "active", False):
            # Keys share locks: a computation that asked for another key of this cache
            # could wait on a lock held by a thread that waits on this one's.
            raise RuntimeError("a cache computation must not read the same cache")
        with self._lock:
            entry = self._entries.get(key)
            found = self._fresh(key, version, now)
        if found is not _MISS:
            return found  # type: ignore[return-value]
        if (
            refresh is not None
            and entry is not None
            and entry[0] == version
            and timedelta(0) <= now - entry[1] < self.ttl + self.stale_for
        ):
            self._refresh_in_background(key, version, now, refresh)
            with self._lock:
                self.stale += 1
            return entry[2]
        gate = self._gates[hash(key) % GATES]
        if entry is not None and entry[0] == version and now >= entry[1]:
            # Only too old (the data's version holds): while another thread computes it
            # afresh, the others are served the kept one rather than wait.
            if not gate.acquire(blocking=False):
                with self._lock:
                    self.stale += 1
                return entry[2]
        else:
            gate.acquire()
        try:
            with self._lock:
                found = self._fresh(key, version, now)
                if found is _MISS:
                    self.misses += 1
            if found is not _MISS:
                return found  # type: ignore[return-value]
            value = self._compute_and_keep(key, version, now, compute)
        finally:
            gate.release()
        return value

    def _compute_and_keep(
        self, key: Hashable, version: Hashable, now: datetime, compute: Callable[[], T]
    ) -> T:
        self._computing.active = True
        try:
            value = compute()
        finally:
            self._computing.active = False
        with self._lock:
            self._entries[key] = (version, now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def _refresh_in_background(
        self, key: Hashable, version: Hashable, now: datetime, refresh: Callable[[], T]
    ) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            thread = threading.Thread(
                target=self._refresh, args=(key, version, now, refresh), daemon=True
            )
            self._refreshing[key] = thread
        thread.start()

    def _refresh(
        self, key: Hashable, version: Hashable, now: datetime, refresh: Callable[[], T]
    ) -> None:
        gate = self._gates[hash(key) % GATES]
        try:
            with gate:
                with self._lock:
                    current = self._fresh(key, version, now)
                if current is _MISS:  # (a waiting visitor's own computation may have won)
                    self._compute_and_keep(key, version, now, refresh)
        except Exception:
            # the kept result is served until the next visitor's refresh or computation
            log.exception("refreshing the cached result %r failed", key)
        finally:
            with self._lock:
                self._refreshing.pop(key, None)

    def wait_for_refreshes(self, timeout_s: float = 30.0) -> None:
        """Wait for the background refreshes now running (tests; shutting down)."""
        with self._lock:
            running = list(self._refreshing.values())
        for thread in running:
            thread.join(timeout_s)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache_on(
    db: Database,
    name: str,
    *,
    ttl: timedelta,
    size: int = 1024,
    stale_for: timedelta = timedelta(0),
) -> VersionedCache[Any]:
    """The cache called ``name`` of this database (``Database.caches``), made on first use."""
    found = db.caches.get(name)
    if found is None:
        found = db.caches.setdefault(
            name, VersionedCache[Any](ttl=ttl, size=size, stale_for=stale_for)
        )
    assert isinstance(found, VersionedCache)
    return found

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
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sunlight.db.engine import Database

T = TypeVar("T")


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

    def __init__(self, *, ttl: timedelta, size: int = 1024) -> None:
        self.ttl = ttl
        self.size = size
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

    def get(self, key: Hashable, version: Hashable, now: datetime, compute: Callable[[], T]) -> T:
        """The result kept for ``key`` at ``version`` and younger than ``ttl`` at ``now``,
        else ``compute()`` (then kept)."""
        if getattr(self._computing, "active", False):
            # Keys share locks: a computation that asked for another key of this cache
            # could wait on a lock held by a thread that waits on this one's.
            raise RuntimeError("a cache computation must not read the same cache")
        with self._lock:
            entry = self._entries.get(key)
            found = self._fresh(key, version, now)
        if found is not _MISS:
            return found  # type: ignore[return-value]
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
        finally:
            gate.release()
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def cache_on(db: Database, name: str, *, ttl: timedelta, size: int = 1024) -> VersionedCache[Any]:
    """The cache called ``name`` of this database (``Database.caches``), made on first use."""
    found = db.caches.get(name)
    if found is None:
        found = db.caches.setdefault(name, VersionedCache[Any](ttl=ttl, size=size))
    assert isinstance(found, VersionedCache)
    return found

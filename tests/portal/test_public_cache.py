"""The public portal's caches (``sunlight.db.cache``) never serve a list or a figure the
data has moved past: a release published, or one no longer public, is on (or off) the very
next request's page at the same moment; a new records request is in the next request's
statistics within the figures' TTL, a release's move at once; a kept entry is served only
while its version holds and (but while it is computed afresh) within its TTL.
``/api/public/releases`` is paged in the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from sunlight.db.cache import VersionedCache, cache_on
from sunlight.release.models import Release
from sunlight.runtime import Runtime
from sunlight.stats import service as stats
from sunlight.stats.figures import Range
from sunlight.web.app import create_app
from tests.portal.support import decide
from tests.stats.test_figures import NOW, file_requests

T = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, start_worker=False)) as test_client:
        yield test_client


def test_kept_while_the_version_holds_and_within_the_ttl() -> None:
    cache: VersionedCache[int] = VersionedCache(ttl=timedelta(seconds=30), size=2)
    calls: list[int] = []

    def compute(n: int) -> int:
        calls.append(n)
        return n

    assert cache.get("k", 1, T, lambda: compute(1)) == 1
    assert cache.get("k", 1, T + timedelta(seconds=29), lambda: compute(2)) == 1
    assert cache.get("k", 2, T + timedelta(seconds=29), lambda: compute(3)) == 3  # new version
    assert cache.get("k", 2, T + timedelta(seconds=60), lambda: compute(4)) == 4  # too old
    assert cache.get("k", 2, T, lambda: compute(5)) == 5  # a clock set back: not trusted
    cache.get("a", 1, T, lambda: compute(6))
    cache.get("b", 1, T, lambda: compute(7))  # size 2: "k" (least recent) is dropped
    assert cache.get("k", 2, T, lambda: compute(8)) == 8
    assert calls == [1, 3, 4, 5, 6, 7, 8]


def test_one_computation_for_many_waiting_threads() -> None:
    cache: VersionedCache[int] = VersionedCache(ttl=timedelta(seconds=30))
    calls: list[int] = []

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 7

    got: list[int] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get("k", 1, T, slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert got == [7] * 8
    assert calls == [1]


def _listed(client: TestClient) -> str:
    page = client.get("/public/releases")
    assert page.status_code == 200
    return page.text


def test_a_published_or_withdrawn_release_is_seen_at_once(
    runtime: Runtime, client: TestClient
) -> None:
    client.app.state.clock = lambda: T  # type: ignore[attr-defined]  # one moment throughout
    # the list pages' own cache is what is tested: the answers' cache in front of it
    # (tests/web/test_public_response_cache.py) is turned off
    client.app.state.public_cache.enabled = False  # type: ignore[attr-defined]
    first = decide(runtime, client, cad="CACHE-1", type="officer-involved-shooting")
    assert f"/public/releases/{first.release_id}" in _listed(client)
    cache = cache_on(runtime.db, "portal.release_pages", ttl=timedelta(seconds=30))
    hits = cache.hits
    assert f"/public/releases/{first.release_id}" in _listed(client)
    assert cache.hits > hits  # the same page again: kept
    second = decide(runtime, client, cad="CACHE-2", type="use-of-force")
    shown = _listed(client)
    assert f"/public/releases/{second.release_id}" in shown  # published: listed at once
    assert "use-of-force" in shown  # and the type filter offers its type
    with runtime.db.session() as session:
        session.execute(update(Release).where(Release.id == first.release_id).values(public=False))
    shown = _listed(client)
    assert f"/public/releases/{first.release_id}" not in shown  # no longer public: gone
    assert f"/public/releases/{second.release_id}" in shown
    listed = client.get("/api/public/releases", params={"per_page": 1})
    assert [r["id"] for r in listed.json()] == [second.release_id]
    assert listed.headers["x-total-count"] == "1"


def test_the_api_list_is_paged(runtime: Runtime, client: TestClient) -> None:
    made = [decide(runtime, client, cad=f"PAGE-{n}").release_id for n in range(3)]
    whole = client.get("/api/public/releases").json()
    assert [r["id"] for r in whole] == made[::-1]  # newest first
    second = client.get("/api/public/releases", params={"page": 2, "per_page": 2})
    assert [r["id"] for r in second.json()] == [made[0]]
    assert second.headers["x-total-count"] == "3"
    assert client.get("/api/public/releases", params={"per_page": 1001}).status_code == 422


def test_figures_are_kept_for_the_ttl_but_not_past_a_release(runtime: Runtime) -> None:
    rng = Range.default(NOW)

    def received(now: datetime) -> object:
        (figure,) = stats.figures(runtime, rng, now, slugs=["records-requests"])
        return figure.table.rows[0][1]["requests"].value

    file_requests(runtime, 6)
    assert received(NOW) == 6
    file_requests(runtime, 1)
    assert received(NOW + timedelta(seconds=59)) == 6  # kept: counted as of NOW
    # too old: served at once while it is counted again in the background, then the new count
    assert received(NOW + stats.TTL) == 6
    cache = cache_on(runtime.db, "stats.figures", ttl=stats.TTL)
    cache.wait_for_refreshes()
    assert received(NOW + stats.TTL) == 7
    file_requests(runtime, 1)
    # far too old (nobody came for longer than TTL + STALE_FOR): the visitor waits for it
    assert received(NOW + stats.TTL * 2 + stats.STALE_FOR) == 8
    with runtime.db.session(read_only=True) as session:
        before = stats.data_version(session)
    with runtime.db.session() as session:
        session.execute(update(Release).values(public=False))  # no release: nothing moves
    with runtime.db.session(read_only=True) as session:
        assert stats.data_version(session) == before


def test_the_stats_version_moves_when_a_release_is_published_or_withdrawn(
    runtime: Runtime, client: TestClient
) -> None:
    def version() -> object:
        with runtime.db.session(read_only=True) as session:
            return stats.data_version(session)

    empty = version()
    made = decide(runtime, client, cad="STATS-1")
    published = version()
    assert published != empty
    with runtime.db.session() as session:
        session.execute(update(Release).where(Release.id == made.release_id).values(public=False))
    assert version() not in (published, empty)


def test_a_too_old_entry_is_served_while_another_thread_computes_it() -> None:
    ttl = timedelta(seconds=30)
    cache: VersionedCache[int] = VersionedCache(ttl=ttl)
    cache.get("k", 1, T, lambda: 1)
    started, finish = threading.Event(), threading.Event()

    def slow() -> int:
        started.set()
        finish.wait(10)
        return 2

    worker = threading.Thread(target=lambda: cache.get("k", 1, T + ttl, slow))
    worker.start()
    assert started.wait(10)
    assert cache.get("k", 1, T + ttl, lambda: 3) == 1  # the old one, not a wait
    finish.set()
    worker.join()
    assert cache.get("k", 1, T + ttl, lambda: 4) == 2


def test_a_slow_result_is_refreshed_in_the_background() -> None:
    """With ``refresh``, nobody waits for a too-old result while its version holds: it is
    served, one background thread computes it afresh (once, however many ask), and a failed
    refresh leaves the old result served; past ``ttl + stale_for`` the caller computes."""
    ttl, stale_for = timedelta(seconds=30), timedelta(minutes=5)
    cache: VersionedCache[int] = VersionedCache(ttl=ttl, stale_for=stale_for)
    cache.get("k", 1, T, lambda: 1)
    started, finish = threading.Event(), threading.Event()
    calls: list[int] = []

    def slow() -> int:
        calls.append(2)
        started.set()
        finish.wait(10)
        return 2

    def never() -> int:
        raise AssertionError("the caller must not compute")

    later = T + ttl
    assert cache.get("k", 1, later, never, refresh=slow) == 1
    assert started.wait(10)
    assert cache.get("k", 1, later, never, refresh=slow) == 1  # still the old one
    finish.set()
    cache.wait_for_refreshes()
    assert calls == [2]  # one refresh for both
    assert cache.get("k", 1, later, never, refresh=slow) == 2
    # a new version is never served the old one, refresh or not
    assert cache.get("k", 2, later, lambda: 3, refresh=slow) == 3

    def broken() -> int:
        raise OSError("database gone")

    assert cache.get("k", 2, later + ttl, never, refresh=broken) == 3
    cache.wait_for_refreshes()
    assert cache.get("k", 2, later + ttl, never, refresh=broken) == 3  # kept after a failure
    cache.wait_for_refreshes()
    far = later + ttl + stale_for
    assert cache.get("k", 2, far, lambda: 4, refresh=slow) == 4  # too stale: computed here


def test_a_computation_may_not_read_the_same_cache() -> None:
    """Keys share locks, so a computation that read another key could deadlock with a
    thread doing the reverse; the cache refuses such a read outright (hit or miss)."""
    cache: VersionedCache[int] = VersionedCache(ttl=timedelta(seconds=30))
    cache.get("inner", 1, T, lambda: 1)
    with pytest.raises(RuntimeError, match="must not read the same cache"):
        cache.get("outer", 1, T, lambda: cache.get("inner", 1, T, lambda: 2))
    # the refused computation left nothing half-done: both keys still work
    assert cache.get("outer", 1, T, lambda: 3) == 3
    assert cache.get("inner", 1, T, lambda: 4) == 1


def test_release_list_pages_with_filters_fill_the_cache_without_reading_it_nested(
    runtime: Runtime, client: TestClient
) -> None:
    """Many distinct filtered pages (each a cache miss that also needs the filter's choices)
    all answer: the choices are read before a page is computed, never inside it."""
    for n in range(1, 6):
        for kind in ("", "traffic-stop", "use-of-force"):
            url = f"/public/releases?page={n}" + (f"&type={kind}" if kind else "")
            assert client.get(url).status_code == 200

"""The public portal's caches (``sunlight.db.cache``) never serve a list or a figure the
data has moved past: a release published, or one no longer public, is on (or off) the very
next request's page at the same moment; a new records request is in the next request's
statistics; a kept entry is served only while its version holds and within its TTL.
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


def test_a_new_request_is_in_the_next_figures(runtime: Runtime) -> None:
    rng = Range.default(NOW)

    def received() -> object:
        (figure,) = stats.figures(runtime, rng, NOW, slugs=["records-requests"])
        return figure.table.rows[0][1]["requests"].value

    file_requests(runtime, 6)
    assert received() == 6
    first = stats.figures(runtime, rng, NOW, slugs=["records-requests"])[0]
    assert stats.figures(runtime, rng, NOW, slugs=["records-requests"])[0] is first  # kept
    file_requests(runtime, 1)
    assert received() == 7  # same moment, one more request: counted again
    kept = stats.figures(runtime, rng, NOW, slugs=["records-requests"])[0]
    later = NOW + stats.TTL  # nothing changed, but the entry is too old
    assert stats.figures(runtime, rng, later, slugs=["records-requests"])[0] is not kept

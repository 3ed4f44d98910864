"""Periodic maintenance threads: they run, survive failures, and stop promptly."""

from __future__ import annotations

import threading
import time

from sunlight.jobs.schedule import Periodic, Schedule
from sunlight.runtime import Runtime
from sunlight.web.maintenance import server_schedule


def test_periodic_runs_again_after_a_failure_and_stops() -> None:
    calls: list[float] = []
    twice = threading.Event()

    def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RuntimeError("transient")
        twice.set()

    task = Periodic("flaky", 0.01, flaky)
    task.start()
    assert twice.wait(5)
    started = time.monotonic()
    task.stop()
    assert time.monotonic() - started < 2
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count  # stopped means stopped


def test_not_at_start_waits_one_interval() -> None:
    ran = threading.Event()
    schedule = Schedule([Periodic("later", 60, ran.set, run_at_start=False)])
    schedule.start()
    assert not ran.wait(0.1)
    schedule.stop()
    assert not ran.is_set()


def test_server_schedule_seals_the_ledger(embedded_runtime: Runtime) -> None:
    from sunlight.ledger import stored_log

    with embedded_runtime.db.session() as session:
        from sunlight.evidence.custody import Action, record

        record(session, actor="t", action=Action.VIEW, object_type="recording", object_id=1)
    schedule = server_schedule(embedded_runtime, retention=False)
    names = [t.name for t in schedule.tasks]
    assert names == ["ledger", "reconcile", "uploads", "releases", "outbox", "requests", "stats"]
    schedule.start()
    try:
        deadline = time.monotonic() + 10
        size = 0
        while time.monotonic() < deadline and size < 1:
            with embedded_runtime.db.session() as session:
                latest = stored_log.latest_checkpoint(session)
                size = latest.size if latest is not None else 0
            time.sleep(0.05)
    finally:
        schedule.stop()
    assert size == 1
    assert [t.name for t in server_schedule(embedded_runtime).tasks][-1] == "retention"


def test_start_delay_holds_the_first_run_back() -> None:
    ran = threading.Event()
    task = Periodic("heavy", 3600, ran.set, start_delay_s=0.3)
    started = time.monotonic()
    task.start()
    assert not ran.wait(0.1)  # start-up goes first
    assert ran.wait(5)
    assert time.monotonic() - started >= 0.3
    task.stop()


def test_serve_starts_retention_after_start_up(embedded_runtime: Runtime) -> None:
    from sunlight.web.maintenance import RETENTION_START_DELAY_S

    schedule = server_schedule(embedded_runtime, retention=True)
    retention = next(t for t in schedule.tasks if t.name == "retention")
    assert retention.run_at_start and retention.start_delay_s == RETENTION_START_DELAY_S > 0
    ledger = next(t for t in schedule.tasks if t.name == "ledger")
    assert ledger.start_delay_s == 0  # sealing starts at once


def test_the_public_statistics_are_counted_at_start_up(embedded_runtime: Runtime) -> None:
    from sunlight.db.base import utcnow
    from sunlight.db.cache import cache_on
    from sunlight.stats import service as stats
    from sunlight.stats.figures import Range

    warm = next(t for t in server_schedule(embedded_runtime).tasks if t.name == "stats")
    assert warm.run_at_start and warm.start_delay_s > 0
    warm.run_once()
    cache = cache_on(embedded_runtime.db, "stats.figures", ttl=stats.TTL)
    counted = cache.misses
    assert counted == len(stats.spec_slugs())
    now = utcnow()
    stats.figures(embedded_runtime, Range.default(now), now)  # the page's first visitor
    assert cache.misses == counted  # nothing counted again

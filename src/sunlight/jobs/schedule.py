"""Periodic maintenance inside a long-running process (`sunlight serve`).

Each entry runs on its own daemon thread: a slow one (a retention pass over a large
archive) never delays a fast one (sealing the ledger every few seconds). Failures are
logged and retried at the next tick; the work itself must be idempotent, because at scale
several processes may run the same schedule.

A heavy pass never runs before the process serves: ``start_delay_s`` holds its first run
back (``sunlight serve`` starts the retention pass a minute after start-up), and the pass
itself works in small batches, so the ledger sealer and web requests keep their turn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Periodic:
    name: str
    interval_s: float
    action: Callable[[], object]
    run_at_start: bool = True
    #: With ``run_at_start``: seconds to wait before the first run (start-up goes first).
    start_delay_s: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    def run_once(self) -> None:
        try:
            self.action()
        except Exception:
            log.exception("periodic task %s failed; retrying in %.0f s", self.name, self.interval_s)

    def _loop(self) -> None:
        first_wait = self.start_delay_s if self.run_at_start else self.interval_s
        if first_wait > 0 and self._stop.wait(first_wait):
            return
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self.interval_s)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name=f"sunlight-{self.name}", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None


class Schedule:
    """A set of periodic tasks started and stopped together."""

    def __init__(self, tasks: list[Periodic] | None = None) -> None:
        self.tasks = list(tasks or [])

    def add(self, task: Periodic) -> None:
        self.tasks.append(task)

    def start(self) -> None:
        for task in self.tasks:
            task.start()

    def stop(self) -> None:
        for task in self.tasks:
            task._stop.set()
        for task in self.tasks:
            task.stop()

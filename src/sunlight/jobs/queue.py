"""The Celery application and a thin enqueue/worker wrapper around it.

Celery is imported on first use, not at start-up: most CLI commands never touch the queue.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from sunlight.config import Settings

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)

TASK_MODULES = [
    "sunlight.evidence.tasks",
    "sunlight.retention.tasks",
    "sunlight.redaction.tasks",
    "sunlight.captions.tasks",
]


def configure(settings: Settings) -> Celery:
    """One Celery app per process. Tasks are declared with `shared_task` in each domain's
    tasks.py and bind to whichever app is current, so domains never import this module."""
    from celery import Celery

    celery_app = Celery("sunlight")
    eager = settings.worker_mode == "eager"
    transport_options: dict[str, Any] = {}
    if settings.broker_url.startswith("redis"):
        # acks_late on Redis redelivers after the visibility timeout: keep it above the
        # longest job (a multi-hour transcode of a long recording).
        transport_options["visibility_timeout"] = 6 * 3600
    celery_app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend,
        task_always_eager=eager,
        task_eager_propagates=eager,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options=transport_options,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        imports=TASK_MODULES,
    )
    for module in TASK_MODULES:
        __import__(module)
    celery_app.set_current()
    return celery_app


class JobQueue:
    """Enqueue jobs; optionally run an in-process worker thread (embedded mode)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: Celery | None = None
        self._worker: Any = None
        self._thread: threading.Thread | None = None

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = configure(self.settings)
        return self._app

    def enqueue(self, task_name: str, *args: Any, **kwargs: Any) -> None:
        """Call after the transaction that made the work commits."""
        task = self.app.tasks[task_name]
        try:
            task.apply_async(args=args, kwargs=kwargs)
        except Exception:
            if self.settings.worker_mode == "eager":
                raise
            # The reconciler will find the work still pending; an unreachable broker
            # must not fail the request whose data is already committed.
            log.exception("could not enqueue %s; the reconciler will retry", task_name)

    def start_thread_worker(self) -> None:
        if self._thread is not None or self.settings.worker_mode != "thread":
            return
        self._worker = self.app.Worker(
            pool="solo",
            concurrency=1,
            loglevel="INFO",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            redirect_stdouts=False,
            hostname=f"embedded@{threading.get_native_id()}",
        )
        self._thread = threading.Thread(target=self._worker.start, name="sunlight-worker")
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop(in_sighandler=False, exitcode=0)
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._worker = None
        self._thread = None

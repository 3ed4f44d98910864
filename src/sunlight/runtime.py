"""The running system: settings, database, object store and job queue, wired once.

Faces (web, CLI, worker) build a Runtime at start-up; domain services receive it (or its
parts) explicitly. Celery tasks find the process's runtime through ``current()``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sunlight.config import Settings, ensure_home, load_settings
from sunlight.db import Database
from sunlight.db.migrate import upgrade
from sunlight.jobs import JobQueue
from sunlight.storage import ObjectStore, open_store


@dataclass
class Runtime:
    settings: Settings
    db: Database
    store: ObjectStore
    jobs: JobQueue

    def close(self) -> None:
        self.jobs.stop()
        self.db.dispose()


_current: Runtime | None = None
_lock = threading.Lock()


def start(settings: Settings | None = None, *, migrate: bool = True) -> Runtime:
    """Create the data folder, migrate the database, open storage and the queue."""
    global _current
    settings = settings or load_settings()
    ensure_home(settings)
    db = Database(settings.database_url)
    if migrate:
        upgrade(db.engine)
    import sunlight.models  # noqa: F401  (every domain's tables and change guards)
    from sunlight.access.policy import load_access_policy
    from sunlight.compliance.policy import load_policy as load_compliance_policy
    from sunlight.release.policy import load_release_policy
    from sunlight.requests.calendar import load_holidays
    from sunlight.requests.fees import load_fees
    from sunlight.retention.policy import load_policy as load_retention_policy

    # Published policy files that do not validate stop start-up (ConfigError, with the reason).
    load_retention_policy()
    load_compliance_policy()
    load_access_policy()
    load_release_policy()
    load_holidays()
    load_fees()
    runtime = Runtime(settings, db, open_store(settings.storage_url), JobQueue(settings))
    with _lock:
        _current = runtime
    return runtime


def current() -> Runtime:
    """The runtime of this process, started from the environment on first use (workers)."""
    global _current
    with _lock:
        if _current is not None:
            return _current
    return start()

"""What `sunlight serve` keeps doing in the background, in one place.

- seal custody events into the ledger and sign a checkpoint (every few seconds);
- reconcile (every 5 minutes): record fully received uploads whose completion failed and
  re-enqueue playback and redaction jobs a crash lost; every 6 hours also report stored
  objects that nothing refers to (with their SHA-256 and size);
- remove expired, unfinished uploads (hourly; fully received ones are never removed);
- publish embargoed releases when their embargo lifts, warning staff before (every minute);
- send the email outbox (every 10 seconds; retries back off, see ``sunlight.notify.outbox``);
- run the published retention schedule (daily, first a minute after start-up, in small
  batches with a pause between them): deletions wait out the grace period,
  holds and investigations block them, and every deletion leaves a tombstone.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sunlight.db.base import utcnow
from sunlight.evidence.derivatives import reconcile as reconcile_derivatives
from sunlight.evidence.orphans import Orphan, find_orphans
from sunlight.jobs.schedule import Periodic, Schedule
from sunlight.runtime import Runtime
from sunlight.web.tus.service import Finished
from sunlight.web.uploads import finish_staged_uploads, sweep_uploads

log = logging.getLogger(__name__)

#: Most orphans listed one by one in a report (all are counted and logged).
MAX_LISTED_ORPHANS = 1000
#: serve walks the whole store listing for orphans this often (the rest of the
#: reconcile pass runs every 5 minutes).
ORPHAN_SCAN_INTERVAL_S = 6 * 3600


class _Reconciler:
    """The scheduled reconcile: cheap passes every time, the orphan walk now and then."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.last_orphan_scan: float | None = None

    def __call__(self) -> None:
        at = time.monotonic()
        scan = self.last_orphan_scan is None or at - self.last_orphan_scan >= ORPHAN_SCAN_INTERVAL_S
        if scan:
            self.last_orphan_scan = at
        reconcile_all(self.runtime, now=utcnow(), orphans=scan)


#: Seconds between sweeps of the email outbox.
OUTBOX_INTERVAL_S = 10.0


class _OutboxSweep:
    """Send due email; say once (not every sweep) that no mail server is configured."""

    def __init__(self, runtime: Runtime) -> None:
        from sunlight.notify.smtp import SmtpSender

        self.runtime = runtime
        self.sender = SmtpSender.from_env()
        self.warned = False

    def __call__(self) -> None:
        from sunlight.notify.outbox import deliver_due

        report = deliver_due(self.runtime, self.sender, now=utcnow())
        if report.waiting and not self.warned:
            log.warning("email outbox: %s", report.waiting)
        self.warned = bool(report.waiting)
        if report.stopped:
            log.warning("email outbox: %s (retrying with backoff)", report.stopped)


#: The daily retention pass starts this long after `serve` (never before it serves) ...
RETENTION_START_DELAY_S = 60.0
#: ... and rests this long between batches, leaving the database to requests and sealing.
RETENTION_PAUSE_S = 0.05
#: Seconds after start-up before the public statistics are counted (the server answers first).
STATS_WARM_DELAY_S = 5.0


@dataclass
class ReconcileReport:
    uploads_recorded: list[Finished] = field(default_factory=list)
    uploads_failed: list[Finished] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)
    redaction_jobs: list[int] = field(default_factory=list)
    caption_jobs: list[int] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    orphan_count: int = 0
    orphan_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "uploads_recorded": [
                {"upload_id": f.upload_id, "sha256": f.sha256, "size": f.size, **(f.result or {})}
                for f in self.uploads_recorded
            ],
            "uploads_failed": [
                {"upload_id": f.upload_id, "sha256": f.sha256, "size": f.size, "error": f.error}
                for f in self.uploads_failed
            ],
            "requeued": self.requeued,
            "redaction_jobs": self.redaction_jobs,
            "caption_jobs": self.caption_jobs,
            "orphans": [o.to_dict() for o in self.orphans],
            "orphan_count": self.orphan_count,
            "orphan_bytes": self.orphan_bytes,
        }


def reconcile_all(
    runtime: Runtime,
    *,
    now: datetime,
    idle_for: timedelta = timedelta(minutes=10),
    orphans: bool = True,
) -> ReconcileReport:
    """Finish what a failure or crash left half done; ``idle_for`` leaves work that may
    still be in progress (an upload being completed, a job just queued) to its owner.
    ``orphans`` also walks the whole store listing for unreferenced objects."""
    from sunlight.captions.service import reconcile as reconcile_captions
    from sunlight.redaction.service import reconcile as reconcile_redaction

    report = ReconcileReport()
    # Uploads first: an object whose recording they commit is then no orphan.
    for finished in finish_staged_uploads(runtime, idle_for=idle_for):
        if finished.result is not None:
            report.uploads_recorded.append(finished)
            log.warning(
                "recorded upload %s (sha256 %s, %d bytes) whose completion had failed",
                finished.upload_id,
                finished.sha256,
                finished.size,
            )
        else:
            report.uploads_failed.append(finished)
            log.error(
                "fully received upload %s (sha256 %s, %d bytes) cannot be recorded: %s",
                finished.upload_id,
                finished.sha256,
                finished.size,
                finished.error,
            )
    report.requeued = reconcile_derivatives(runtime, older_than=idle_for, now=now)
    report.redaction_jobs = reconcile_redaction(runtime, stalled_after=idle_for)
    report.caption_jobs = reconcile_captions(runtime, stalled_after=idle_for)
    if not orphans:
        return report
    for orphan in find_orphans(runtime, now=now, grace=idle_for):
        log.error("orphan: %s", orphan.describe())
        report.orphan_count += 1
        report.orphan_bytes += orphan.size
        if len(report.orphans) < MAX_LISTED_ORPHANS:
            report.orphans.append(orphan)
    return report


def server_schedule(runtime: Runtime, *, retention: bool = True) -> Schedule:
    from sunlight.ledger.checkpoints import seal_tick
    from sunlight.ledger.config import ledger_settings
    from sunlight.release import service as release_service
    from sunlight.requests import reminders as request_reminders
    from sunlight.retention import service as retention_service
    from sunlight.stats import service as stats_service
    from sunlight.stats.figures import Range

    schedule = Schedule(
        [
            Periodic(
                "ledger",
                ledger_settings(runtime.settings).seal_interval_s,
                lambda: seal_tick(runtime),
            ),
            Periodic(
                "reconcile",
                300,
                _Reconciler(runtime),
                run_at_start=False,
            ),
            Periodic("uploads", 3600, lambda: sweep_uploads(runtime)),
            # embargoed releases: warn staff before, publish when the embargo lifts
            Periodic("releases", 60, lambda: release_service.sweep(runtime.db, utcnow())),
            Periodic("outbox", OUTBOX_INTERVAL_S, _OutboxSweep(runtime)),
            # records-request clocks: remind custodians when due soon, due today, overdue
            Periodic("requests", 900, lambda: request_reminders.sweep(runtime.db, utcnow())),
            # the public statistics (seconds to count on a large archive), counted once at
            # start-up so the first visitor after a restart does not wait for them
            Periodic(
                "stats",
                24 * 3600,
                lambda: stats_service.figures(runtime, Range.default(utcnow()), utcnow()),
                start_delay_s=STATS_WARM_DELAY_S,
            ),
        ]
    )
    if retention:
        schedule.add(
            Periodic(
                "retention",
                24 * 3600,
                lambda: retention_service.run(runtime, pause_s=RETENTION_PAUSE_S),
                start_delay_s=RETENTION_START_DELAY_S,
            )
        )
    return schedule

"""What `sunlight serve` keeps doing in the background, in one place.

- seal custody events into the ledger and sign a checkpoint (every few seconds);
- re-enqueue playback and redaction jobs a crash lost (every 5 minutes);
- remove expired, unfinished uploads (hourly);
- run the published retention schedule (daily): deletions wait out the grace period,
  holds and investigations block them, and every deletion leaves a tombstone.
"""

from __future__ import annotations

from datetime import timedelta

from sunlight.jobs.schedule import Periodic, Schedule
from sunlight.runtime import Runtime


def reconcile_all(runtime: Runtime) -> None:
    from sunlight.evidence.derivatives import reconcile
    from sunlight.redaction.service import reconcile as reconcile_redaction

    reconcile(runtime, older_than=timedelta(minutes=10))
    reconcile_redaction(runtime)


def server_schedule(runtime: Runtime, *, retention: bool = True) -> Schedule:
    from sunlight.ledger.config import ledger_settings
    from sunlight.ledger.service import seal_tick
    from sunlight.retention import service as retention_service
    from sunlight.web.uploads import sweep_uploads

    schedule = Schedule(
        [
            Periodic(
                "ledger",
                ledger_settings(runtime.settings).seal_interval_s,
                lambda: seal_tick(runtime),
            ),
            Periodic("reconcile", 300, lambda: reconcile_all(runtime), run_at_start=False),
            Periodic("uploads", 3600, lambda: sweep_uploads(runtime)),
        ]
    )
    if retention:
        schedule.add(Periodic("retention", 24 * 3600, lambda: retention_service.run(runtime)))
    return schedule

"""What `sunlight serve` keeps doing in the background, in one place.

- seal custody events into the ledger and sign a checkpoint (every few seconds);
- re-enqueue playback and redaction jobs a crash lost (every 5 minutes);
- remove expired, unfinished uploads (hourly);
- run the published retention schedule (daily, first a minute after start-up, in small
  batches with a pause between them): deletions wait out the grace period,
  holds and investigations block them, and every deletion leaves a tombstone.
"""

from __future__ import annotations

from datetime import timedelta

from sunlight.jobs.schedule import Periodic, Schedule
from sunlight.runtime import Runtime

#: The daily retention pass starts this long after `serve` (never before it serves) ...
RETENTION_START_DELAY_S = 60.0
#: ... and rests this long between batches, leaving the database to requests and sealing.
RETENTION_PAUSE_S = 0.05


def reconcile_all(runtime: Runtime) -> None:
    from sunlight.evidence.derivatives import reconcile
    from sunlight.redaction.service import reconcile as reconcile_redaction

    reconcile(runtime, older_than=timedelta(minutes=10))
    reconcile_redaction(runtime)


def server_schedule(runtime: Runtime, *, retention: bool = True) -> Schedule:
    from sunlight.ledger.config import ledger_settings
    from sunlight.ledger.service import seal_and_checkpoint
    from sunlight.retention import service as retention_service
    from sunlight.web.uploads import sweep_uploads

    schedule = Schedule(
        [
            Periodic(
                "ledger",
                ledger_settings(runtime.settings).seal_interval_s,
                lambda: seal_and_checkpoint(runtime),
            ),
            Periodic("reconcile", 300, lambda: reconcile_all(runtime), run_at_start=False),
            Periodic("uploads", 3600, lambda: sweep_uploads(runtime)),
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

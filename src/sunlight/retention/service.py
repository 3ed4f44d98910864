"""Retention: which rule keeps each recording how long, legal holds, and the deletion run.

The run is deliberately slow to destroy anything: a recording that its longest rule lets
go is first *scheduled* (a custody event), stays for the grace period in which anyone
may undo it, and only a later run deletes its bytes, after re-checking every rule and
guard, leaving a tombstone custody event with the hash. Nothing on legal hold, in an
outside agency's custody or linked to an active investigation is ever deleted.

The work is split by job; this module is the domain's public face:

- ``rules``: categories and decisions (the longest rule wins), evaluated in batches;
- ``holds``: legal holds;
- ``deletions``: scheduled deletions, undo, tombstones, disposing of bytes;
- ``runner``: the run itself, a batch per short transaction;
- ``report``: what a run did; ``status``: what the recording page shows.
"""

from __future__ import annotations

from sunlight.retention.deletions import list_deletions, sweep, undo_deletion
from sunlight.retention.holds import list_holds, place_hold, release_hold
from sunlight.retention.report import RunReport
from sunlight.retention.rules import (
    BATCH_SIZE,
    CategoryOutcome,
    Decision,
    decide,
    decision_for,
    evaluate,
    iter_decisions,
)
from sunlight.retention.runner import SYSTEM_ACTOR, run
from sunlight.retention.status import recording_status

__all__ = [
    "BATCH_SIZE",
    "SYSTEM_ACTOR",
    "CategoryOutcome",
    "Decision",
    "RunReport",
    "decide",
    "decision_for",
    "evaluate",
    "iter_decisions",
    "list_deletions",
    "list_holds",
    "place_hold",
    "recording_status",
    "release_hold",
    "run",
    "sweep",
    "undo_deletion",
]

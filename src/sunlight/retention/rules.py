"""Retention rules: which category keeps a recording how long (the longest rule wins).

Evaluation reads only the columns a decision needs, a batch of recordings at a time
(keyset pagination over ids), so memory stays flat however large the archive grows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident, IncidentRecording
from sunlight.retention.keepers import kept_among
from sunlight.retention.models import RetentionDeletion
from sunlight.retention.policy import Category, KeepAfterClose, KeepDays, LoadedPolicy, load_policy

#: Recordings evaluated per query (and, in a run, per transaction).
BATCH_SIZE = 2000


@dataclass(frozen=True)
class CategoryOutcome:
    category: str
    delete_on: date | None  # None: not while the rule holds (indefinite, or case open)
    why: str


@dataclass
class Decision:
    recording_id: int
    sha256: str
    filename: str
    recorded_on: date
    categories: list[CategoryOutcome]
    rule: str
    delete_on: date | None
    why: str
    blocked_by: str | None = None
    pending_deletion_id: int | None = None
    #: the domains keeping it whatever the schedule says: [{"keeper", "why"}]
    keepers: list[dict[str, str]] = field(default_factory=list)

    def due(self, as_of: date) -> bool:
        return self.delete_on is not None and self.delete_on <= as_of

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["recorded_on"] = self.recorded_on.isoformat()
        doc["delete_on"] = self.delete_on.isoformat() if self.delete_on else None
        doc["categories"] = [
            {**asdict(c), "delete_on": c.delete_on.isoformat() if c.delete_on else None}
            for c in self.categories
        ]
        return doc


@dataclass(frozen=True)
class RecordingFacts:
    """What a retention decision needs to know about a recording."""

    id: int
    sha256: str
    original_filename: str
    recorded_at: datetime | None
    ingested_at: datetime


@dataclass(frozen=True)
class IncidentFacts:
    """What a retention decision needs to know about an incident that claims a recording."""

    type: str
    cad_number: str
    investigation_status: str
    status_date: date | None
    ended_at: datetime


def _recorded_on(recording: RecordingFacts) -> date:
    return (recording.recorded_at or recording.ingested_at).astimezone(UTC).date()


def _outcome(
    category: Category, recorded_on: date, incidents: Sequence[IncidentFacts]
) -> CategoryOutcome:
    keep = category.keep
    if isinstance(keep, KeepDays):
        return CategoryOutcome(
            category.name, recorded_on + timedelta(days=keep.days), f"{keep.days} days"
        )
    if isinstance(keep, KeepAfterClose):
        latest: date | None = recorded_on
        reasons = []
        for incident in incidents:
            if incident.investigation_status == "active":
                return CategoryOutcome(
                    category.name, None, f"incident {incident.cad_number}: investigation active"
                )
            closed = (
                incident.status_date
                if incident.investigation_status == "inactive" and incident.status_date
                else incident.ended_at.astimezone(UTC).date()
            )
            reasons.append(f"{incident.cad_number} closed {closed.isoformat()}")
            latest = max(latest or closed, closed)
        assert latest is not None
        days = keep.days_after_case_closed
        return CategoryOutcome(
            category.name,
            latest + timedelta(days=days),
            f"case closed plus {days} days ({'; '.join(reasons) or 'no incident'})",
        )
    return CategoryOutcome(category.name, None, "kept indefinitely")


def decide(
    loaded: LoadedPolicy,
    recording: RecordingFacts,
    incidents: Sequence[IncidentFacts],
    kept: Sequence[tuple[str, str]] = (),
) -> Decision:
    """Apply every category the recording falls in; the longest retention wins. ``kept``:
    the (keeper, why) pairs of the domains that keep it (released, requested): each keeps
    it indefinitely under the category that lists the keeper, and says why first."""
    policy = loaded.policy
    recorded_on = _recorded_on(recording)
    by_category: dict[str, list[IncidentFacts]] = defaultdict(list)
    for incident in incidents:
        by_category[policy.category_for_type(incident.type).name].append(incident)
    if not by_category:  # a recording that no incident claims
        by_category[policy.unclaimed_category] = []
    keeps = []
    for keeper, reason in kept:
        category = policy.category_for_keeper(keeper)
        # A keeper no category lists still keeps: nothing released or requested is deleted.
        keeps.append(CategoryOutcome(category.name if category else keeper, None, reason))
    outcomes = keeps + [
        _outcome(policy.category(name), recorded_on, claimed)
        for name, claimed in sorted(by_category.items())
    ]
    indefinite = [o for o in outcomes if o.delete_on is None]
    winner = indefinite[0] if indefinite else max(outcomes, key=lambda o: (o.delete_on, o.category))
    why = winner.why
    if not incidents and not keeps:
        why = f"no incident claims it, so {policy.unclaimed_category}: {why}"
    return Decision(
        recording_id=recording.id,
        sha256=recording.sha256,
        filename=recording.original_filename,
        recorded_on=recorded_on,
        categories=outcomes,
        rule=winner.category,
        delete_on=winner.delete_on,
        why=why,
        keepers=[{"keeper": keeper, "why": reason} for keeper, reason in kept],
    )


_RECORDING_COLUMNS = (
    Recording.id,
    Recording.sha256,
    Recording.original_filename,
    Recording.recorded_at,
    Recording.ingested_at,
)


def _decisions(
    session: Session, loaded: LoadedPolicy, recordings: list[RecordingFacts]
) -> list[Decision]:
    """Decisions for one batch of recordings: two more queries, bounded by the batch."""
    ids = [r.id for r in recordings]
    if not ids:
        return []
    incidents: dict[int, list[IncidentFacts]] = defaultdict(list)
    for row in session.execute(
        select(
            IncidentRecording.recording_id,
            Incident.type,
            Incident.cad_number,
            Incident.investigation_status,
            Incident.status_date,
            Incident.ended_at,
        )
        .join(Incident, Incident.id == IncidentRecording.incident_id)
        .where(IncidentRecording.recording_id.in_(ids))
        .order_by(IncidentRecording.id)
    ):
        incidents[row.recording_id].append(
            IncidentFacts(
                row.type, row.cad_number, row.investigation_status, row.status_date, row.ended_at
            )
        )
    pending = {
        row.recording_id: row.id
        for row in session.execute(
            select(RetentionDeletion.recording_id, RetentionDeletion.id)
            .where(RetentionDeletion.status == "pending", RetentionDeletion.recording_id.in_(ids))
            .order_by(RetentionDeletion.id)
        )
    }
    kept = kept_among(session, ids)
    decisions = []
    for recording in recordings:
        decision = decide(
            loaded, recording, incidents.get(recording.id, []), kept.get(recording.id, [])
        )
        decision.pending_deletion_id = pending.get(recording.id)
        decisions.append(decision)
    return decisions


def live_batch(
    session: Session, loaded: LoadedPolicy, *, after_id: int = 0, limit: int = BATCH_SIZE
) -> list[Decision]:
    """Decisions for the next ``limit`` live recordings with an id above ``after_id``."""
    rows = session.execute(
        select(*_RECORDING_COLUMNS)
        .where(Recording.deleted_at.is_(None), Recording.id > after_id)
        .order_by(Recording.id)
        .limit(limit)
    )
    return _decisions(session, loaded, [RecordingFacts(*row) for row in rows])


def decisions_for(
    session: Session, loaded: LoadedPolicy, recording_ids: Sequence[int]
) -> list[Decision]:
    """Decisions for the live recordings among ``recording_ids`` (in id order)."""
    found: list[Decision] = []
    ids = sorted(set(recording_ids))
    for start in range(0, len(ids), BATCH_SIZE):
        rows = session.execute(
            select(*_RECORDING_COLUMNS)
            .where(
                Recording.deleted_at.is_(None),
                Recording.id.in_(ids[start : start + BATCH_SIZE]),
            )
            .order_by(Recording.id)
        )
        found.extend(_decisions(session, loaded, [RecordingFacts(*row) for row in rows]))
    return found


def iter_decisions(
    session: Session, loaded: LoadedPolicy, *, batch_size: int = BATCH_SIZE
) -> Iterator[list[Decision]]:
    """Every live recording's decision, a batch at a time, in id order."""
    after = 0
    while True:
        batch = live_batch(session, loaded, after_id=after, limit=batch_size)
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        after = batch[-1].recording_id


def evaluate(
    session: Session, loaded: LoadedPolicy, recording_ids: list[int] | None = None
) -> list[Decision]:
    """Decisions for the given recordings, or for every live one (a list: use
    :func:`iter_decisions` over a whole archive)."""
    if recording_ids is not None:
        return decisions_for(session, loaded, recording_ids)
    return [d for batch in iter_decisions(session, loaded) for d in batch]


def decision_for(session: Session, recording_id: int) -> Decision | None:
    found = decisions_for(session, load_policy(), [recording_id])
    return found[0] if found else None

"""What the public portal shows, read from the release and records-request domains: only
public fields (incident type and date, the agency that decided, days each step took, the
custody-log index of the released copy's ingest). No names, places or narrative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select

from sunlight.errors import NotFound
from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident
from sunlight.ledger.models import LedgerLeaf
from sunlight.ledger.service import ingest_event_id
from sunlight.portal.i18n import N_
from sunlight.release import proof as proofs
from sunlight.release.clocks import authority_of
from sunlight.release.models import ReleaseCase
from sunlight.release.policy import load_release_policy
from sunlight.release.states import PARTY
from sunlight.runtime import Runtime

PER_PAGE = 20
SECONDS_PER_DAY = 86400

#: How each state a release case moves into reads on the public timeline (translated when
#: shown: the page writes ``{{ _(step.text) }}``).
STEP_TEXT = {
    "closed": N_("Case opened (investigation active)"),
    "in-review": N_("Footage under review and redaction"),
    "ready": N_("Redacted copy delivered for decision"),
    "released": N_("Release decided"),
    "withheld": N_("Withheld"),
    "released-by-court-order": N_("Released by court order"),
}


@dataclass(frozen=True)
class ReleaseRow:
    id: int
    incident_type: str
    incident_date: date
    released_at: datetime


@dataclass(frozen=True)
class ReleasePage:
    rows: list[ReleaseRow]
    page: int
    pages: int
    total: int
    types: list[str]


@dataclass(frozen=True)
class Step:
    at: date
    text: str
    by: str | None  # the department or the investigating agency, by name; never a person
    days: int | None  # days since the previous step (None: the incident itself)
    statute: str | None


@dataclass(frozen=True)
class PublicRelease:
    id: int
    incident_type: str
    incident_date: date
    released_at: datetime
    media_type: str
    leaf_index: int | None  # None: not sealed into the custody log yet
    ingested_at: datetime | None
    timeline: list[Step]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def release_page(
    runtime: Runtime,
    *,
    incident_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    page: int = 1,
) -> ReleasePage:
    """The released list, filtered by incident type and incident date range, paged."""
    every = [ReleaseRow(**row) for row in proofs.public_list(runtime)]
    types = sorted({r.incident_type for r in every})
    rows = [
        r
        for r in every
        if (not incident_type or r.incident_type == incident_type)
        and (date_from is None or r.incident_date >= date_from)
        and (date_to is None or r.incident_date <= date_to)
    ]
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(1, page), pages)
    start = (page - 1) * PER_PAGE
    return ReleasePage(rows[start : start + PER_PAGE], page, pages, len(rows), types)


def released_media(runtime: Runtime, release_id: int) -> tuple[str, str]:
    """(sha256, filename) of a published release's released copy; 404 for anything else."""
    release, _ = proofs.published(runtime, release_id)
    with runtime.db.session(read_only=True) as session:
        recording = session.get(Recording, release.derived_recording_id)
        if recording is None:
            raise NotFound(f"no released copy {release_id}")
        return recording.sha256, recording.original_filename


def public_release(runtime: Runtime, release_id: int, media_type: str) -> PublicRelease:
    release, incident = proofs.published(runtime, release_id)
    released_at = release.released_at
    assert released_at is not None
    policy = load_release_policy().policy
    with runtime.db.session(read_only=True) as session:
        case = session.get(ReleaseCase, release.case_id)
        found = session.get(Incident, incident.id)
        if case is None or found is None:
            raise NotFound(f"no released copy {release_id}")
        authority = authority_of(found, policy.rule_for(found.type), policy).name
        previous = _utc(found.started_at)
        timeline = [Step(previous.date(), N_("Incident"), None, None, None)]
        for t in case.transitions:
            at = _utc(t.at)
            holder = PARTY.get(t.from_state or "")
            by = authority if holder == "authority" else policy.department
            days = max(0, int((at - previous).total_seconds() // SECONDS_PER_DAY))
            text = STEP_TEXT.get(t.to_state, t.to_state)
            timeline.append(Step(at.date(), text, by, days, t.statute))
            previous = at
        leaf_index: int | None = None
        ingested_at: datetime | None = None
        event_id = ingest_event_id(session, release.derived_recording_id)
        leaf = session.scalar(select(LedgerLeaf).where(LedgerLeaf.event_id == event_id))
        if leaf is not None:
            leaf_index = leaf.leaf_index
        recording = session.get(Recording, release.derived_recording_id)
        if recording is not None:
            ingested_at = _utc(recording.ingested_at)
    return PublicRelease(
        id=release.id,
        incident_type=incident.type,
        incident_date=_utc(incident.started_at).date(),
        released_at=_utc(released_at),
        media_type=media_type,
        leaf_index=leaf_index,
        ingested_at=ingested_at,
        timeline=timeline,
    )

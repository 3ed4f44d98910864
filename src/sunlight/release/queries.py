"""Reading release cases: the list, one case's clock (computed when read), and the copies
released to the public."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from sunlight.incidents.models import Incident
from sunlight.release.clocks import Clock, compute
from sunlight.release.common import get_case, load_incident, loaded_policy, utc
from sunlight.release.models import Release, ReleaseCase


def clock_for(session: Session, incident_id: int, now: datetime) -> Clock:
    case = get_case(session, incident_id)
    incident = load_incident(session, incident_id)
    policy = loaded_policy().policy
    return compute(case, incident, policy.rule_for(incident.type), policy, now)


def list_cases(session: Session, *, where: Any = None) -> list[tuple[ReleaseCase, Incident]]:
    query = (
        select(ReleaseCase, Incident)
        .join(Incident, Incident.id == ReleaseCase.incident_id)
        .options(
            selectinload(ReleaseCase.transitions),
            selectinload(ReleaseCase.extensions),
            selectinload(Incident.agency),
        )
        .order_by(Incident.started_at, ReleaseCase.id)
    )
    if where is not None:
        query = query.where(where)
    return [(row[0], row[1]) for row in session.execute(query)]


@dataclass(frozen=True)
class ReleasedCopy:
    """A copy released to the public: what the lead's delivery to a requester hands out."""

    release_id: int
    derived_recording_id: int
    original_recording_id: int
    released_at: datetime
    public: bool


def released_copies(session: Session, incident_id: int) -> list[ReleasedCopy]:
    """The incident's released copies (published, not merely scheduled), oldest first."""
    rows = session.scalars(
        select(Release)
        .join(ReleaseCase, ReleaseCase.id == Release.case_id)
        .where(ReleaseCase.incident_id == incident_id, Release.released_at.is_not(None))
        .order_by(Release.id)
    )
    return [
        ReleasedCopy(
            r.id, r.derived_recording_id, r.original_recording_id, utc(r.released_at), r.public
        )
        for r in rows
        if r.released_at is not None
    ]

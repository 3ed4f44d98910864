"""Footage that answers a request: searching what the principal may list, and linking or
unlinking recordings and incidents (only what the principal may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from sunlight.access import Permission, Principal, visible
from sunlight.errors import InvalidChange, InvalidInput, NotFound
from sunlight.evidence.models import Recording
from sunlight.incidents.models import Incident
from sunlight.requests.common import KANSAS_CITY, add_event
from sunlight.requests.models import (
    RecordsRequest,
    RequestItem,
)


def _visible_recording(
    session: Session, principal: Principal, recording_id: int, now: datetime
) -> bool:
    return (
        session.scalar(
            select(Recording.id).where(
                Recording.id == recording_id, visible(principal, Permission.RECORDING_LIST, now=now)
            )
        )
        is not None
    )


def _visible_incident(
    session: Session, principal: Principal, incident_id: int, now: datetime
) -> bool:
    return (
        session.scalar(
            select(Incident.id).where(
                Incident.id == incident_id, visible(principal, Permission.INCIDENT_VIEW, now=now)
            )
        )
        is not None
    )


def add_item(
    session: Session,
    request: RecordsRequest,
    *,
    principal: Principal,
    why: str,
    now: datetime,
    incident_id: int | None = None,
    recording_id: int | None = None,
    nonpublic_location: bool = False,
) -> RequestItem:
    """Link footage the request names; only what the principal may see (else 404)."""
    if incident_id is None and recording_id is None:
        raise InvalidInput("name an incident_id, a recording_id, or both")
    why = " ".join(why.split())
    if not why or len(why) > 2000:
        raise InvalidInput("say why this footage answers the request (at most 2000 characters)")
    if recording_id is not None and not _visible_recording(session, principal, recording_id, now):
        raise NotFound(f"no recording {recording_id}")
    if incident_id is not None and not _visible_incident(session, principal, incident_id, now):
        raise NotFound(f"no incident {incident_id}")
    for item in request.items:
        if (
            item.removed_at is None
            and item.incident_id == incident_id
            and item.recording_id == recording_id
        ):
            raise InvalidChange("this footage is already linked to the request")
    item = RequestItem(
        request_id=request.id,
        incident_id=incident_id,
        recording_id=recording_id,
        nonpublic_location=nonpublic_location,
        linked_by=principal.id,
        linked_at=now,
        why=why,
    )
    session.add(item)
    session.flush()
    session.refresh(request, ["items"])
    add_event(
        session,
        request,
        kind="item-linked",
        actor=principal.id,
        now=now,
        staff_text=why,
        details={
            "item_id": item.id,
            "incident_id": incident_id,
            "recording_id": recording_id,
            "nonpublic_location": nonpublic_location,
        },
    )
    return item


def remove_item(
    session: Session,
    request: RecordsRequest,
    item_id: int,
    *,
    actor: str,
    why: str,
    now: datetime,
) -> RequestItem:
    item = session.get(RequestItem, item_id)
    if item is None or item.request_id != request.id or item.removed_at is not None:
        raise NotFound(f"no linked item {item_id} on this request")
    why = " ".join(why.split())
    if not why:
        raise InvalidInput("say why the footage is unlinked")
    item.removed_at = now
    item.removed_by = actor
    session.flush()
    add_event(
        session,
        request,
        kind="item-removed",
        actor=actor,
        now=now,
        staff_text=why,
        details={"item_id": item.id},
    )
    return item


@dataclass(frozen=True)
class Candidates:
    recordings: list[Recording]
    incidents: list[Incident]


def search_footage(
    session: Session,
    principal: Principal,
    *,
    date_from: date | None,
    date_to: date | None,
    now: datetime,
    location: str | None = None,
    limit: int = 50,
) -> Candidates:
    """Footage that may answer a request, among what ``principal`` may list at ``now``:
    recordings and incidents in the date range (and incidents near the location)."""
    limit = max(1, min(limit, 200))
    if date_from is None and date_to is None and not location:
        return Candidates([], [])
    start = datetime.combine(date_from or date(1900, 1, 1), datetime.min.time())
    end = datetime.combine((date_to or date_from or date(9000, 1, 1)), datetime.min.time())
    start_utc = start.replace(tzinfo=KANSAS_CITY) - timedelta(hours=12)
    end_utc = end.replace(tzinfo=KANSAS_CITY) + timedelta(days=1, hours=12)
    recordings = list(
        session.scalars(
            select(Recording)
            .where(
                visible(principal, Permission.RECORDING_LIST, now=now),
                Recording.recorded_at >= start_utc,
                Recording.recorded_at < end_utc,
                Recording.deleted_at.is_(None),
            )
            .order_by(Recording.recorded_at)
            .limit(limit)
        )
    )
    where: list[ColumnElement[bool]] = [visible(principal, Permission.INCIDENT_VIEW, now=now)]
    in_range = and_(Incident.started_at >= start_utc, Incident.started_at < end_utc)
    if location:
        pattern = "%" + location.replace("\\", "").replace("%", "").replace("_", "")[:100] + "%"
        where.append(or_(in_range, Incident.location.ilike(pattern)))
    else:
        where.append(in_range)
    incidents = list(
        session.scalars(select(Incident).where(*where).order_by(Incident.started_at).limit(limit))
    )
    return Candidates(recordings, incidents)

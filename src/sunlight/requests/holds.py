"""Nothing requested is deleted (issue 10 §8): the retention keeper ``records-request``.

An open request holds the footage it names, directly or through a linked incident. This
module imports only tables, so retention (or ``sunlight.models``) can register it without
loading the rest of the requests domain.
"""

from __future__ import annotations

from sqlalchemy import Select, literal, select, union
from sqlalchemy.orm import Session

from sunlight.incidents.models import IncidentRecording
from sunlight.requests.models import RecordsRequest, RequestItem
from sunlight.requests.states import OPEN
from sunlight.retention.keepers import register_keeper

#: The keeper's name in the retention policy's ``keepers:`` lists.
KEEPER = "records-request"


def kept_by_requests(session: Session | None = None) -> Select[tuple[int, str]]:
    """Recordings an open request names (directly, or through a linked incident), with
    why: the retention run must not delete them. A retention keeper (``fn()`` returning a
    Select of ``(recording_id, why)``); ``session`` is not needed, the query runs in the
    caller's transaction."""
    del session
    open_statuses = [str(s) for s in OPEN]
    why = (literal("records request ") + RecordsRequest.tracking_number).label("why")
    direct = (
        select(RequestItem.recording_id.label("recording_id"), why)
        .join(RecordsRequest, RecordsRequest.id == RequestItem.request_id)
        .where(
            RequestItem.removed_at.is_(None),
            RequestItem.recording_id.is_not(None),
            RecordsRequest.status.in_(open_statuses),
        )
    )
    through = (
        select(IncidentRecording.recording_id.label("recording_id"), why)
        .join(RequestItem, RequestItem.incident_id == IncidentRecording.incident_id)
        .join(RecordsRequest, RecordsRequest.id == RequestItem.request_id)
        .where(
            RequestItem.removed_at.is_(None),
            RequestItem.recording_id.is_(None),
            RecordsRequest.status.in_(open_statuses),
        )
    )
    both = union(direct, through).subquery()
    return select(both.c.recording_id, both.c.why)


register_keeper(KEEPER, kept_by_requests)

"""The outbox on the staff JSON API: ``GET /api/outbox`` (private links masked). Thin: the
listing is :func:`sunlight.notify.views.listing`."""

from __future__ import annotations

from fastapi import APIRouter

from sunlight.notify.views import OutboxListing, listing
from sunlight.notify.web_common import LimitQuery, StatusQuery, TopicQuery, ViewDep
from sunlight.web.deps import RuntimeDep

router = APIRouter(tags=["email outbox"])


@router.get(
    "/api/outbox",
    response_model=OutboxListing,
    summary="The email outbox, newest first (private links in bodies masked)",
)
def api_outbox(
    runtime: RuntimeDep,
    actor: ViewDep,
    status: StatusQuery = None,
    topic: TopicQuery = None,
    limit: LimitQuery = 100,
) -> OutboxListing:
    del actor
    with runtime.db.session(read_only=True) as session:
        return listing(session, status=status.value if status else None, topic=topic, limit=limit)

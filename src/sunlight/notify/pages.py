"""The outbox on the staff web pages: ``/outbox`` (every message, its status and its body
with private links masked) and queueing a failed message again."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunlight.notify import outbox
from sunlight.notify.models import OutboxStatus
from sunlight.notify.views import listing
from sunlight.notify.web_common import (
    LimitQuery,
    ManageDep,
    StatusQuery,
    TopicQuery,
    ViewDep,
)
from sunlight.validation import Id
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.pages import render

router = APIRouter(tags=["email outbox"])


@router.get("/outbox", response_class=HTMLResponse, include_in_schema=False)
def outbox_page(
    request: Request,
    runtime: RuntimeDep,
    actor: ViewDep,
    status: StatusQuery = None,
    topic: TopicQuery = None,
    limit: LimitQuery = 100,
) -> Response:
    del actor
    with runtime.db.session(read_only=True) as session:
        found = listing(session, status=status.value if status else None, topic=topic, limit=limit)
    return render(
        request,
        "outbox.html",
        listing=found,
        status=status.value if status else "",
        topic=topic or "",
        statuses=[s.value for s in OutboxStatus],
    )


@router.post("/outbox/{message_id}/retry", include_in_schema=False)
def retry_form(message_id: Id, request: Request, runtime: RuntimeDep, actor: ManageDep) -> Response:
    """Queue a failed message again; the custody log records ``mail.retried``."""
    with runtime.db.session() as session:
        outbox.retry(session, message_id, now=now_for(request), actor=actor.id)
    return RedirectResponse(f"/outbox#message-{message_id}", status_code=303)

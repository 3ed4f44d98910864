"""What the records-request routes share: the private link's token path and no-store
headers, the public intake's rate limit (per client address, :data:`PUBLIC_RATE`;
``web/rate_limit.py``), the
staff permissions as dependencies, filing a request and delivering a copy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Request
from fastapi.responses import Response

from sunlight.access import Permission, Principal
from sunlight.errors import Forbidden
from sunlight.evidence.custody import Action, Outcome, record
from sunlight.requests import service
from sunlight.requests.models import RequestDelivery
from sunlight.requests.schemas import DeliverIn, PublicRequestCreated, PublicRequestIn
from sunlight.web import guard
from sunlight.web.deps import now_for
from sunlight.web.guard import require
from sunlight.web.rate_limit import RateLimit as RateLimit  # the tests' limiter
from sunlight.web.rate_limit import Slot, limited

NO_STORE = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL: never send it onwards
    "X-Robots-Tag": "noindex, nofollow",
}
TOKEN_PATH = r"[A-Za-z0-9_-]{20,100}"  # noqa: S105 (a pattern, not a secret)
Token = Annotated[str, Path(pattern=TOKEN_PATH)]
#: A tracking number as the public pages take it (R-2026-000123).
TrackingNumber = Annotated[str, Path(pattern=r"^R-[0-9]{4}-[0-9]{6}$", max_length=20)]
#: Public intakes allowed per client address in the window (seconds).
PUBLIC_RATE = (20, 3600.0)


#: One limiter per application (made on first use); the slot's write is given back when
#: the filing fails with a 4xx (the form did not validate), its attempt is kept.
rate_limited = limited("requests_rate_limit", PUBLIC_RATE)
RateSlot = Annotated[Slot, Depends(rate_limited)]


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def file_and_answer(
    request: Request, runtime: Any, body: PublicRequestIn, *, source: str
) -> PublicRequestCreated:
    now = now_for(request)
    with runtime.db.session() as session:
        found, raw = service.file_request(
            session, **body.model_dump(), source=source, now=now, base_url=base_url(request)
        )
        due = service.clock_of(found, now=now).due
        return PublicRequestCreated(
            tracking_number=found.tracking_number,
            received_date=found.received_date,
            due=due,
            private_link=f"/public/requests/track/{raw}",
            private_api=f"/api/public/requests/track/{raw}",
        )


def no_store(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


ViewDep = Annotated[Principal, Depends(require(Permission.REQUEST_VIEW))]
ManageDep = Annotated[Principal, Depends(require(Permission.REQUEST_MANAGE))]
VerifyDep = Annotated[Principal, Depends(require(Permission.REQUEST_VERIFY))]


def deliver_copy(
    request: Request,
    runtime: Any,
    actor: Principal,
    request_id: int,
    body: DeliverIn,
    raw: str | None,
) -> tuple[RequestDelivery, str]:
    # Sharing the recording is decided on the recording, like any share (404 out of scope,
    # 403 refused and recorded).
    now = now_for(request)
    guard.check(runtime, actor, Permission.SHARE_CREATE, body.recording_id, raw, now=now)
    try:
        with runtime.db.session() as session:
            delivery, link = service.deliver(
                session,
                service.get(session, request_id),
                recording_id=body.recording_id,
                basis=body.basis,
                actor=actor,
                now=now,
                days=body.days,
                base_url=base_url(request),
            )
            session.expunge(delivery)
            return delivery, link
    except Forbidden as refused:
        # The delivery's transaction rolled back: the refusal is recorded in its own.
        with runtime.db.session() as session:
            record(
                session,
                actor=actor.id,
                action=Action.ACCESS_DENIED,
                object_type="recording",
                object_id=body.recording_id,
                outcome=Outcome.DENIED,
                reason=raw[:2000] if raw else None,
                details={
                    "explanation": refused.message,
                    "request_id": request_id,
                    "basis": body.basis,
                    **refused.diagnostics,
                },
                at=now,
            )
        raise

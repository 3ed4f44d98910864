"""Records requests on the public JSON API (no account): filing a request (RSMo 610.023),
the public request log, and the requester's private view and request for written
grounds (the token is the credential)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from sunlight.portal import request_detail
from sunlight.portal.request_detail import PublicRequestView
from sunlight.requests import service
from sunlight.requests.schemas import (
    PublicLogEntry,
    PublicRequestCreated,
    PublicRequestIn,
    TrackView,
)
from sunlight.requests.views import load_track, log_entry
from sunlight.requests.web_common import (
    NO_STORE,
    Token,
    TrackingNumber,
    file_and_answer,
    rate_limited,
)
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

router = APIRouter(tags=["records requests"])


@router.post(
    "/api/public/requests",
    response_model=PublicRequestCreated,
    status_code=201,
    summary="File a records request (no account; RSMo 610.023)",
    dependencies=[Depends(public()), Depends(rate_limited)],
)
def api_file_request(
    body: PublicRequestIn, request: Request, runtime: RuntimeDep
) -> PublicRequestCreated:
    return file_and_answer(request, runtime, body, source="api")


@router.get(
    "/api/public/requests",
    response_model=list[PublicLogEntry],
    summary="The public request log: no requester's identity",
    dependencies=[Depends(public())],
)
def api_public_log(
    request: Request,
    runtime: RuntimeDep,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LIST)] = 100,
    before_id: Annotated[SmallId | None, Query()] = None,
) -> list[PublicLogEntry]:
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        found = service.public_log(session, limit=limit, before_id=before_id)
        return [log_entry(r, now) for r in found]


@router.get(
    "/api/public/requests/{tracking_number}",
    response_model=PublicRequestView,
    summary="One request as anyone may see it: status, clocks, steps, released footage",
    dependencies=[Depends(public())],
)
def api_public_request(
    tracking_number: TrackingNumber, request: Request, runtime: RuntimeDep
) -> PublicRequestView:
    with runtime.db.session(read_only=True) as session:
        return request_detail.public_request(session, tracking_number, now_for(request))


@router.get(
    "/api/public/requests/track/{token}",
    response_model=TrackView,
    summary="The requester's private view of a request (the token is the credential)",
    dependencies=[Depends(public())],
)
def api_track(token: Token, request: Request, runtime: RuntimeDep, response: Response) -> TrackView:
    response.headers.update(NO_STORE)
    return load_track(runtime, token, now_for(request))


@router.post(
    "/api/public/requests/track/{token}/grounds",
    response_model=TrackView,
    summary="Ask for the written grounds of a denial (due in three business days)",
    dependencies=[Depends(public())],
)
def api_ask_grounds(
    token: Token, request: Request, runtime: RuntimeDep, response: Response
) -> TrackView:
    now = now_for(request)
    with runtime.db.session() as session:
        found = service.by_token(session, token)
        service.request_grounds(session, found, actor="requester", now=now)
    response.headers.update(NO_STORE)
    return load_track(runtime, token, now)

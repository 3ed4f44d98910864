"""Records requests on the public web pages (no account): the request form and the
requester's private page (written grounds, the notice acknowledgement, downloads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from sunlight.errors import InvalidInput
from sunlight.evidence.media_types import video_type as guess_video_type
from sunlight.portal import request_detail
from sunlight.requests import service
from sunlight.requests.schemas import PublicRequestIn
from sunlight.requests.views import load_track
from sunlight.requests.web_common import (
    RateSlot,
    Token,
    TrackingNumber,
    file_and_answer,
    no_store,
)
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public
from sunlight.web.pages import render
from sunlight.web.ranges import object_response

router = APIRouter(tags=["records requests"])


@router.get("/public/requests/new", response_class=HTMLResponse, include_in_schema=False)
def new_request_page(request: Request, _: Annotated[None, Depends(public())]) -> Response:
    return render(
        request, "public_request_new.html", values={}, error=None, types=service.REQUESTER_TYPES
    )


@router.post(
    "/public/requests/new",
    response_class=HTMLResponse,
    include_in_schema=False,
    dependencies=[Depends(public())],
)
def new_request_form(
    request: Request,
    runtime: RuntimeDep,
    slot: RateSlot,
    name: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    requester_type: Annotated[str, Form(max_length=20)] = "",
    description: Annotated[str, Form(max_length=10_000)] = "",
    date_from: Annotated[str, Form(max_length=10)] = "",
    date_to: Annotated[str, Form(max_length=10)] = "",
    location: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    values = {
        "name": name,
        "email": email,
        "phone": phone,
        "requester_type": requester_type,
        "description": description,
        "date_from": date_from,
        "date_to": date_to,
        "location": location,
    }
    try:
        body = PublicRequestIn.model_validate(
            {
                **values,
                "phone": phone or None,
                "location": location or None,
                "date_from": date_from or None,
                "date_to": date_to or None,
            }
        )
        created = file_and_answer(request, runtime, body, source="web")
    except (InvalidInput, ValueError) as error:
        message = error.message if isinstance(error, InvalidInput) else _first_error(error)
        slot.give_back()  # nothing was filed: a resident who mistyped is not locked out
        return render(
            request,
            "public_request_new.html",
            status_code=422,
            values=values,
            error=message,
            types=service.REQUESTER_TYPES,
        )
    return no_store(render(request, "public_request_created.html", created=created))


@router.get(
    "/public/requests/{tracking_number}", response_class=HTMLResponse, include_in_schema=False
)
def public_request_page(
    tracking_number: TrackingNumber,
    request: Request,
    runtime: RuntimeDep,
    _: Annotated[None, Depends(public())],
) -> Response:
    """A request as anyone may see it (after ``/public/requests/new``, which it must not
    shadow): status, clocks, steps in standard words, the footage released for it."""
    with runtime.db.session(read_only=True) as session:
        view = request_detail.public_request(session, tracking_number, now_for(request))
    return render(request, "public_request.html", view=view)


def _first_error(error: ValueError) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "input"
        return f"{where}: {first.get('msg', 'invalid')}"
    return str(error)


@router.get("/public/requests/track/{token}", response_class=HTMLResponse, include_in_schema=False)
def track_page(
    token: Token, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    view = load_track(runtime, token, now_for(request))
    return no_store(render(request, "public_request_track.html", view=view, token=token))


@router.post("/public/requests/track/{token}/grounds", include_in_schema=False)
def track_ask_grounds(
    token: Token, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    with runtime.db.session() as session:
        service.request_grounds(
            session, service.by_token(session, token), actor="requester", now=now_for(request)
        )
    return no_store(RedirectResponse(f"/public/requests/track/{token}", status_code=303))


@router.post(
    "/public/requests/track/{token}/deliveries/{delivery_id}/acknowledge",
    include_in_schema=False,
)
def track_acknowledge(
    token: Token,
    delivery_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    _: Annotated[None, Depends(public())],
) -> Response:
    with runtime.db.session() as session:
        service.acknowledge_notice(
            session, service.by_token(session, token), delivery_id, now=now_for(request)
        )
    return no_store(RedirectResponse(f"/public/requests/track/{token}", status_code=303))


@router.get(
    "/public/requests/track/{token}/deliveries/{delivery_id}/download",
    response_class=Response,
    include_in_schema=False,
)
def track_download(
    token: Token,
    delivery_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    _: Annotated[None, Depends(public())],
) -> Response:
    """The delivered recording's exact original bytes (HTTP Range); each download is a
    custody event on the recording, through the delivery's share."""
    with runtime.db.session() as session:
        found = service.by_token(session, token)
        recording = service.open_delivery(session, found, delivery_id, now=now_for(request))
        sha256, filename = recording.sha256, recording.original_filename
    response = object_response(
        request,
        runtime.store,
        sha256,
        media_type=guess_video_type(filename),
        filename=filename,
        inline=False,
    )
    return no_store(response)

"""The public side of captions (no account): a released copy's approved captions as
WebVTT for the player, and its transcript as a page. 404 unless the release is published
and its captions approved, exactly as for an unknown release."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from sunlight.captions import service
from sunlight.portal.pages import render
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep
from sunlight.web.guard import public

router = APIRouter(include_in_schema=False, dependencies=[Depends(public())])


@router.get("/public/releases/{release_id}/captions.vtt", response_class=Response)
def captions_vtt(release_id: SmallId, runtime: RuntimeDep) -> Response:
    found = service.public_captions(runtime, release_id)
    return Response(
        found.vtt,
        media_type="text/vtt; charset=utf-8",
        headers={"Content-Language": found.language, "ETag": f'"{found.vtt_sha256}"'},
    )


@router.get("/public/releases/{release_id}/transcript", response_class=HTMLResponse)
def transcript_page(release_id: SmallId, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    found = service.public_captions(runtime, release_id)
    return render(request, "public_captions.html", captions=found, release_id=release_id)

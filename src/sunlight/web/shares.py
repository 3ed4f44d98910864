"""Sharing: the staff API and forms, and the share-link pages a recipient opens.

Staff routes check the recording through ``web.guard`` (``recording_for(P)``, or
``guard.check`` where the recording comes from a share): out of scope answers 404, as for
a recording that does not exist; refused answers 403 and leaves a ``denied`` custody
event. A link page needs no sign-in (``public()``): the link is the credential, and its
visitor acts as ``share:ID`` for that one recording. An unknown, expired or
revoked link answers 404 (an expired or revoked one also leaves a ``denied`` event).

Whether a share has expired is judged on the app's clock (``deps.now_for``), in the
access decision (the policy's ``shared_link`` and ``shared_with_agency`` conditions), in the
lists and in each share's shown state alike.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StrictBool
from sqlalchemy import select

from sunlight.access import Decision, Permission, Principal, decide, may_ever, visible
from sunlight.access import load_access_policy as _load_policy
from sunlight.access.conditions import resource_table
from sunlight.access.models import Agency, Share
from sunlight.errors import Forbidden, NotFound
from sunlight.evidence import service as evidence
from sunlight.evidence import shares
from sunlight.evidence.custody import Outcome
from sunlight.evidence.media_types import video_type as guess_video_type
from sunlight.runtime import Runtime
from sunlight.validation import Id, SmallId
from sunlight.web import deps, guard
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import Access, public, raw_reason, recording_for, require
from sunlight.web.pages import render, templates
from sunlight.web.ranges import object_response

router = APIRouter(tags=["shares"])

NO_STORE = {
    "Cache-Control": "private, no-store",
    "Referrer-Policy": "no-referrer",  # the link is in the URL: never send it onwards
    "X-Robots-Tag": "noindex, nofollow",
}
LINK_PATH = r"[A-Za-z0-9_-]{20,100}"

# -- checking a recording -----------------------------------------------------------------


def _in_scope(runtime: Runtime, principal: Principal, recording_id: int, now: datetime) -> None:
    table = resource_table("recording")
    with runtime.db.session(read_only=True) as session:
        found = session.scalar(
            select(table.id_column).where(
                table.id_column == recording_id,
                visible(principal, Permission.RECORDING_LIST, now=now),
            )
        )
    if found is None:
        raise NotFound(f"no recording {recording_id}")


# -- API models ---------------------------------------------------------------------------


class ShareIn(BaseModel):
    recipient: str = Field(min_length=1, max_length=200, description="Who receives it")
    recipient_kind: Literal["prosecutor", "defence", "complainant"]
    agency_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = Field(
        default=None, description="Share with an agency: its accounts see the recording"
    )
    link: StrictBool = Field(default=True, description="Make a link (the link is the credential)")
    can_download: StrictBool = False
    can_reshare: StrictBool = False
    expires_days: Annotated[int, Field(ge=1, le=730)] | None = Field(
        default=None, description="Default and maximum: the access policy's shares section"
    )
    reason: str = Field(min_length=1, max_length=2000)


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class ShareOut(BaseModel):
    id: int
    recording_id: int
    recipient: str
    recipient_kind: str
    agency_id: int | None
    link: bool
    can_download: bool
    can_reshare: bool
    parent_id: int | None
    reason: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None
    state: Literal["active", "expired", "revoked"]

    @classmethod
    def of(cls, share: Share, now: datetime) -> ShareOut:
        return cls(
            id=share.id,
            recording_id=share.recording_id,
            recipient=share.recipient,
            recipient_kind=share.recipient_kind,
            agency_id=share.agency_id,
            link=share.link_sha256 is not None,
            can_download=share.can_download,
            can_reshare=share.can_reshare,
            parent_id=share.parent_id,
            reason=share.reason,
            created_by=share.created_by,
            created_at=share.created_at,
            expires_at=share.expires_at,
            revoked_at=share.revoked_at,
            revoked_by=share.revoked_by,
            state=shares.state_of(share, now),
        )


class ShareCreated(ShareOut):
    link_token: str | None = Field(description="Shown once; only its SHA-256 is kept")
    link_url: str | None = Field(description="The page to send the recipient (shown once)")


class ShareList(BaseModel):
    items: list[ShareOut]
    next_before: int | None = Field(description="Pass as `before` for the next page")


def _created(request: Request, share: Share, raw: str | None) -> ShareCreated:
    url = str(request.url_for("share_link_page", link=raw)) if raw else None
    out = ShareOut.of(share, now_for(request))
    return ShareCreated(**out.model_dump(), link_token=raw, link_url=url)


def _create(
    runtime: Runtime,
    actor: Principal,
    recording_id: int,
    body: ShareIn,
    now: datetime,
    parent_id: int | None = None,
) -> tuple[Share, str | None]:
    with runtime.db.session() as session:
        share, raw = shares.create_share(
            session,
            recording_id=recording_id,
            recipient=body.recipient,
            recipient_kind=body.recipient_kind,
            agency_id=body.agency_id,
            link=body.link,
            can_download=body.can_download,
            can_reshare=body.can_reshare,
            expires_days=body.expires_days,
            reason=body.reason,
            actor=actor,
            parent_id=parent_id,
            now=now,
        )
        session.expunge(share)
    return share, raw


# -- staff API ------------------------------------------------------------------------------


@router.post("/api/recordings/{recording_id}/shares", response_model=ShareCreated, status_code=201)
def create_share(
    recording_id: Id,
    body: ShareIn,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.SHARE_CREATE))],
) -> ShareCreated:
    """Share a recording with an agency and/or through a link. A link's token is shown
    once, in this answer."""
    share, raw = _create(runtime, access.principal, recording_id, body, access.now)
    return _created(request, share, raw)


@router.get("/api/recordings/{recording_id}/shares", response_model=list[ShareOut])
def recording_shares(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.SHARE_VIEW))],
) -> list[ShareOut]:
    now = now_for(request)
    _in_scope(runtime, actor, recording_id, now)
    with runtime.db.session(read_only=True) as session:
        found = shares.shares_of_recording(
            session, recording_id, scope=shares.visible_shares(actor)
        )
        return [ShareOut.of(s, now) for s in found]


@router.get("/api/shares", response_model=ShareList)
def list_shares(
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.SHARE_VIEW))],
    recipient: Annotated[str | None, Query(max_length=200)] = None,
    agency_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    active: bool = False,
    before: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=shares.MAX_LIST)] = 100,
) -> ShareList:
    """Shares by recipient (substring) and/or agency, newest first, a page at a time."""
    now = now_for(request)
    with runtime.db.session(read_only=True) as session:
        found = shares.list_shares(
            session,
            recipient=recipient,
            agency_id=agency_id,
            active_only=active,
            before_id=before,
            limit=limit + 1,
            scope=shares.visible_shares(actor),
            now=now,
        )
        more = len(found) > limit
        found = found[:limit]
        return ShareList(
            items=[ShareOut.of(s, now) for s in found],
            next_before=found[-1].id if more and found else None,
        )


def _visible_share(runtime: Runtime, actor: Principal, share_id: int) -> Share:
    with runtime.db.session(read_only=True) as session:
        share = session.scalar(
            select(Share).where(Share.id == share_id, shares.visible_shares(actor))
        )
        if share is None:
            raise NotFound(f"no share {share_id}")
        session.expunge(share)
        return share


@router.post("/api/shares/{share_id}/revoke", response_model=list[ShareOut])
def revoke_share(
    share_id: SmallId,
    body: RevokeIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.SHARE_REVOKE))],
) -> list[ShareOut]:
    """Revoke a share and every share made from it; answers the shares revoked."""
    now = now_for(request)
    share = _visible_share(runtime, actor, share_id)
    _in_scope(runtime, actor, share.recording_id, now)
    with runtime.db.session() as session:
        revoked = shares.revoke_share(session, share_id, actor=actor, reason=body.reason, now=now)
        return [ShareOut.of(s, now) for s in revoked]


@router.post("/api/shares/{share_id}/reshare", response_model=ShareCreated, status_code=201)
def reshare(
    share_id: SmallId,
    body: ShareIn,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.SHARE_CREATE))],
    raw: Annotated[str | None, Depends(raw_reason)],
) -> ShareCreated:
    """Share on from a share that allows it: never for longer, never with more."""
    now = now_for(request)
    parent = _visible_share(runtime, actor, share_id)
    guard.check(runtime, actor, Permission.SHARE_CREATE, parent.recording_id, raw, now=now)
    share, raw = _create(runtime, actor, parent.recording_id, body, now, parent_id=share_id)
    return _created(request, share, raw)


# -- staff forms (the recording page's shares panel) ------------------------------------------


def shares_panel(request: Request, recording_id: int) -> dict[str, Any]:
    """What the recording page's shares panel shows to the signed-in principal (a Jinja
    global, so the recording page needs nothing but the include)."""
    principal = deps.current_principal(request)
    now = now_for(request)

    panel: dict[str, Any] = {
        "can_view": may_ever(principal, Permission.SHARE_VIEW),
        # outside the department, sharing on goes through a share's reshare (API)
        "can_create": may_ever(principal, Permission.SHARE_CREATE)
        and not shares.is_outsider(principal),
        "can_revoke": may_ever(principal, Permission.SHARE_REVOKE),
        "can_audit": may_ever(principal, Permission.AUDIT_VIEW),
        "shares": [],
        "agencies": [],
        "policy": _load_policy().policy.shares,
        "now": now,
    }
    runtime: Runtime = request.app.state.runtime
    with runtime.db.session(read_only=True) as session:
        if panel["can_view"]:
            panel["shares"] = [
                ShareOut.of(s, now)
                for s in shares.shares_of_recording(
                    session, recording_id, scope=shares.visible_shares(principal)
                )
            ]
        if panel["can_create"]:
            panel["agencies"] = list(
                session.scalars(
                    select(Agency).where(Agency.kind != "department").order_by(Agency.name)
                )
            )
            for agency in panel["agencies"]:
                session.expunge(agency)
    return panel


templates.env.globals["shares_panel"] = shares_panel


@router.post("/recordings/{recording_id}/shares", response_class=HTMLResponse)
def create_share_form(
    recording_id: Id,
    request: Request,
    runtime: RuntimeDep,
    access: Annotated[Access, Depends(recording_for(Permission.SHARE_CREATE))],
    recipient: Annotated[str, Form(min_length=1, max_length=200)],
    recipient_kind: Annotated[Literal["prosecutor", "defence", "complainant"], Form()],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    agency_id: Annotated[str, Form(max_length=12)] = "",
    link: Annotated[str, Form(max_length=5)] = "",
    can_download: Annotated[str, Form(max_length=5)] = "",
    can_reshare: Annotated[str, Form(max_length=5)] = "",
    expires_days: Annotated[int | None, Form(ge=1, le=730)] = None,
) -> HTMLResponse:
    body = ShareIn(
        recipient=recipient,
        recipient_kind=recipient_kind,
        agency_id=int(agency_id) if agency_id.strip().isdigit() else None,
        link=link == "true",
        can_download=can_download == "true",
        can_reshare=can_reshare == "true",
        expires_days=expires_days,
        reason=reason,
    )
    share, raw = _create(runtime, access.principal, recording_id, body, access.now)
    created = _created(request, share, raw)
    response = render(request, "share_created.html", share=created, status_code=201)
    response.headers.update(NO_STORE)
    return response


@router.post("/recordings/{recording_id}/shares/{share_id}/revoke")
def revoke_share_form(
    recording_id: Id,
    share_id: SmallId,
    request: Request,
    runtime: RuntimeDep,
    actor: Annotated[Principal, Depends(require(Permission.SHARE_REVOKE))],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    share = _visible_share(runtime, actor, share_id)
    if share.recording_id != recording_id:
        raise NotFound(f"no share {share_id} of recording {recording_id}")
    now = now_for(request)
    _in_scope(runtime, actor, recording_id, now)
    with runtime.db.session() as session:
        shares.revoke_share(session, share_id, actor=actor, reason=reason, now=now)
    return RedirectResponse(f"/recordings/{recording_id}#shares", status_code=303)


# -- the share link: what a recipient opens -----------------------------------------------


def _visit(
    runtime: Runtime,
    link: str,
    permission: Permission,
    use: shares.ShareUse,
    *,
    now: datetime,
    dedup: bool,
    count: bool = True,
) -> tuple[Share, Principal]:
    """Resolve a link and decide ``permission`` for its visitor at ``now``; record the use
    (or the refused attempt; a HEAD request, ``count=False``, is neither). Unknown,
    expired, revoked or out of scope: NotFound."""
    decision: Decision | None = None
    with runtime.db.session() as session:
        visit = shares.resolve_link(session, link, now=now)
        if visit is None:
            raise NotFound("no such share link")
        share = visit.share
        outcome = Outcome.DENIED
        why: str | None = f"the link is {visit.state}"
        rule: str | None = None
        if visit.usable:
            decision = decide(
                session,
                shares.link_principal(share),
                permission,
                share.recording_id,
                now=now,
                reason=shares.share_reason(share),
            )
            rule = decision.rule
            if decision.allowed:
                outcome, why = Outcome.SUCCESS, None
            else:
                why = decision.reason
        if count:
            refused = outcome == Outcome.DENIED
            shares.record_use(
                session,
                share,
                use,
                outcome=outcome,
                why=why,
                rule=rule,
                dedup=dedup or refused,  # a refused link hammered leaves one event per window
                now=now,
            )
        session.expunge(share)
    if decision is None or not decision.in_scope:
        raise NotFound("no such share link (it may have expired or been revoked)")
    if not decision.allowed:
        raise Forbidden(decision.reason, diagnostics={"rule": decision.rule})
    return share, shares.link_principal(share)


def _link_response(response: Response) -> Response:
    response.headers.update(NO_STORE)
    return response


LinkToken = Annotated[str, Path(pattern=LINK_PATH)]


@router.get("/s/{link}", response_class=HTMLResponse, include_in_schema=False)
def share_link_page(
    link: LinkToken, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    """The recipient's page: the recording's facts and a player, no staff pages."""
    now = now_for(request)
    share, _visitor = _visit(runtime, link, Permission.RECORDING_VIEW, "view", now=now, dedup=False)
    with runtime.db.session(read_only=True) as session:
        rec = evidence.get_recording(session, share.recording_id)
        facts = {
            "title": rec.title or rec.original_filename,
            "original_filename": rec.original_filename,
            "sha256": rec.sha256,
            "size_bytes": rec.size_bytes,
            "recorded_at": rec.recorded_at,
            "duration_s": rec.duration_s,
            "playable": rec.playable
            and rec.deleted_at is None
            and (rec.browser_playable or rec.proxy_sha256 is not None),
            "deleted": rec.deleted_at is not None,
        }
    return _link_response(
        render(request, "share_link.html", rec=facts, share=ShareOut.of(share, now), link=link)
    )


def _media(request: Request, runtime: Runtime, link: str, *, download: bool) -> Response:
    permission = Permission.RECORDING_DOWNLOAD if download else Permission.RECORDING_STREAM
    use: shares.ShareUse = "download" if download else "stream"
    # A player's Range requests for one viewing are one use; HEAD is not a use.
    share, _visitor = _visit(
        runtime,
        link,
        permission,
        use,
        now=now_for(request),
        dedup=not download,
        count=request.method != "HEAD",
    )
    with runtime.db.session(read_only=True) as session:
        rec = evidence.get_recording(session, share.recording_id)
        if rec.deleted_at is not None:
            raise NotFound("the recording's bytes were deleted under the retention schedule")
        if download or rec.proxy_sha256 is None:
            sha256, media_type = rec.sha256, guess_video_type(rec.original_filename)
        else:
            sha256, media_type = rec.proxy_sha256, "video/mp4"
        filename = rec.original_filename
    response = object_response(
        request,
        runtime.store,
        sha256,
        media_type=media_type,
        filename=filename,
        inline=not download,
    )
    return _link_response(response)


_MEDIA: dict[str, Any] = {"response_class": Response, "include_in_schema": False}


@router.get("/s/{link}/media", **_MEDIA)
@router.head("/s/{link}/media", **_MEDIA)
def share_link_media(
    link: LinkToken, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    """Play the shared recording (its browser copy where there is one); HTTP Range."""
    return _media(request, runtime, link, download=False)


@router.get("/s/{link}/download", **_MEDIA)
def share_link_download(
    link: LinkToken, request: Request, runtime: RuntimeDep, _: Annotated[None, Depends(public())]
) -> Response:
    """The exact original bytes, where the share allows downloads."""
    return _media(request, runtime, link, download=True)

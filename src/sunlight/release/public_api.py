"""Release on the public web (no account): the list of released footage and each released
copy's ledger proofs, answered only from typed models holding public fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from sunlight.portal import lists, release_detail, views
from sunlight.release import proof as proofs
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep, now_for
from sunlight.web.guard import public

router = APIRouter(tags=["release"])


class PublicReleaseOut(BaseModel):
    """What anyone may know about a release: no names, places or narrative."""

    model_config = ConfigDict(extra="forbid")
    id: int
    incident_type: str
    incident_date: date
    released_at: datetime


class PublicReleaseListOut(PublicReleaseOut):
    """A row of the released list: its area is a patrol division, or null when none is
    published (the release page says why)."""

    area: str | None


class PublicReleaseRef(PublicReleaseOut):
    released_recording_id: int
    original_recording_id: int


class BundleLog(BaseModel):
    model_config = ConfigDict(extra="forbid")
    origin: str
    key: str
    witnesses: list[str]
    quorum: int


class BundleLeaf(BaseModel):
    model_config = ConfigDict(extra="forbid")
    index: int
    hash: str
    entry: str


class BundleInclusion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    size: int
    proof: list[str]


class PublicBundle(BaseModel):
    """A ``sunlight-proof-bundle/v1`` without the disclosure (salt and private fields)."""

    model_config = ConfigDict(extra="forbid")
    format: str
    log: BundleLog
    leaf: BundleLeaf
    inclusion: BundleInclusion
    checkpoint: str
    witnessed: bool


class PublicProofOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release: PublicReleaseRef
    released: PublicBundle
    original: PublicBundle


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class ContextOut(_Out):
    """The incident, generalised: no address, no names, no narrative."""

    incident_type: str
    incident_type_label: str
    incident_date: date
    area: str | None = Field(description="A patrol division; null when not published.")
    area_note: str | None = Field(description="Why no area is shown, when none is.")
    released_at: datetime
    media_type: str


class StepOut(_Out):
    at: date
    kind: str = Field(
        description="incident | request | state | extension | embargo | published | petition "
        "| order"
    )
    text: str
    by: str | None = Field(description="An agency, the department or a court; never a person.")
    days: int | None = Field(description="Days since the previous step.")
    statute: str | None
    note: str | None = Field(
        description="A request's tracking number, a court, or an extension's written basis."
    )
    until: date | None = Field(description="An estimated release date, or an embargo's end.")


class PauseOut(_Out):
    start: date
    end: date | None
    days: int
    reason: str
    statute: str | None


class ExtensionOut(_Out):
    at: date
    days: int
    basis: str
    estimated_release: date
    by: str


class RequestRefOut(_Out):
    """A records request that asked for this footage: never who asked, or what they wrote."""

    tracking_number: str
    received_date: date


class KindCountOut(_Out):
    kind: str
    label: str
    tracks: int
    boxes: int


class MuteOut(_Out):
    start_s: float
    end_s: float
    mode: str
    mode_label: str
    statute: str


class WhyOut(_Out):
    statute: str
    text: str | None
    kinds: list[str]


class ManifestOut(_Out):
    """What the reviewed redaction plan hid, counted; never what was removed."""

    plan_version: int
    plan_sha256: str
    readable: bool = Field(description="False: only the counts recorded with the plan.")
    tracks: int
    kept_visible: int
    boxes: int
    frames: int
    frame_count: int
    fps: float
    kinds: list[KindCountOut]
    mutes: list[MuteOut]
    mute_count: int
    muted_seconds: float
    reasons: list[WhyOut]
    defaults: list[str]
    rule_basis: str
    reviewed_at: date | None
    reviewer_role: str | None
    reviewer_agency: str | None


class BadgeOut(_Out):
    leaf_index: int | None = Field(description="Null: not sealed into the custody log yet.")
    ingested_at: datetime | None
    checkpoint_size: int | None
    log_origin: str | None
    witnesses: list[str]
    witnessed: bool
    quorum: int
    proof_url: str
    verify_docs: str


class PublicReleaseDetailOut(_Out):
    """One published release: context, timeline, redaction manifest, verification badge."""

    id: int
    context: ContextOut
    timeline: list[StepOut]
    pauses: list[PauseOut]
    extensions: list[ExtensionOut]
    requests: list[RequestRefOut]
    manifest: ManifestOut | None
    badge: BadgeOut
    embargo_until: datetime | None


# -- public ----------------------------------------------------------------------------

_PUBLIC = [Depends(public())]


@router.get(
    "/api/public/releases",
    dependencies=_PUBLIC,
    response_model=list[PublicReleaseListOut],
    summary="Footage released to the public (no names, places or narrative)",
)
def public_releases(
    runtime: RuntimeDep,
    response: Response,
    incident_type: Annotated[str | None, Query(alias="type", max_length=60)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    area: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[PublicReleaseListOut]:
    """Newest release first, filtered as the Released footage page filters (incident type,
    incident date range, area; the same SQL listing, ``portal.lists``), ``per_page`` a page;
    ``X-Total-Count`` says how many match in all (every row at once:
    ``/api/public/data/releases.json``)."""
    filters = lists.ReleaseFilter(incident_type or None, date_from, date_to, area or None)
    rows, total = views.release_list(runtime, page=page, per_page=per_page, filters=filters)
    response.headers["X-Total-Count"] = str(total)
    return [PublicReleaseListOut(**row) for row in rows]


@router.get(
    "/api/public/releases/{release_id}",
    dependencies=_PUBLIC,
    response_model=PublicReleaseDetailOut,
    summary="One released video: incident context, timeline, redaction manifest, custody badge",
)
def public_release(
    release_id: SmallId, request: Request, runtime: RuntimeDep
) -> PublicReleaseDetailOut:
    found = release_detail.public_release(runtime, release_id, now=now_for(request))
    return PublicReleaseDetailOut.model_validate(found)


@router.get(
    "/api/public/releases/{release_id}/proof",
    dependencies=_PUBLIC,
    response_model=PublicProofOut,
    summary="Ledger proofs of a released copy's ingest and of its original's (public fields)",
)
def public_proof(release_id: SmallId, runtime: RuntimeDep) -> PublicProofOut:
    return PublicProofOut.model_validate(proofs.proof(runtime, release_id))

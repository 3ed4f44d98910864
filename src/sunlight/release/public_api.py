"""Release on the public web (no account): the list of released footage and each released
copy's ledger proofs, answered only from typed models holding public fields."""

from __future__ import annotations

from datetime import date, datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from sunlight.release import proof as proofs
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep
from sunlight.web.guard import public

router = APIRouter(tags=["release"])


class PublicReleaseOut(BaseModel):
    """What anyone may know about a release: no names, places or narrative."""

    model_config = ConfigDict(extra="forbid")
    id: int
    incident_type: str
    incident_date: date
    released_at: datetime


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


# -- public ----------------------------------------------------------------------------

_PUBLIC = [Depends(public())]


@router.get(
    "/api/public/releases",
    dependencies=_PUBLIC,
    response_model=list[PublicReleaseOut],
    summary="Footage released to the public (no names, places or narrative)",
)
def public_releases(runtime: RuntimeDep) -> list[PublicReleaseOut]:
    return [PublicReleaseOut(**row) for row in proofs.public_list(runtime)]


@router.get(
    "/api/public/releases/{release_id}/proof",
    dependencies=_PUBLIC,
    response_model=PublicProofOut,
    summary="Ledger proofs of a released copy's ingest and of its original's (public fields)",
)
def public_proof(release_id: SmallId, runtime: RuntimeDep) -> PublicProofOut:
    return PublicProofOut.model_validate(proofs.proof(runtime, release_id))

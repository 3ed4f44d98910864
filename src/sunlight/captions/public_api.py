"""A released copy's transcript as JSON (no account), from a typed model of public fields:
the text and times of the approved captions and their hash, never who wrote them."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from sunlight.captions import service
from sunlight.validation import SmallId
from sunlight.web.deps import RuntimeDep
from sunlight.web.guard import public

router = APIRouter(tags=["release"], dependencies=[Depends(public())])


class TranscriptLineOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_s: float
    end_s: float
    at: str = Field(description="Start as HH:MM:SS")
    text: str


class TranscriptOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    release_id: int
    language: str
    version: int = Field(description="The approved caption version")
    vtt_sha256: str = Field(description="SHA-256 of /public/releases/{id}/captions.vtt")
    captions_url: str
    lines: list[TranscriptLineOut]


@router.get(
    "/api/public/releases/{release_id}/transcript",
    summary="The transcript of a released copy (its approved captions)",
)
def transcript(release_id: SmallId, runtime: RuntimeDep) -> TranscriptOut:
    found = service.public_captions(runtime, release_id)
    return TranscriptOut(
        release_id=release_id,
        language=found.language,
        version=found.version,
        vtt_sha256=found.vtt_sha256,
        captions_url=f"/public/releases/{release_id}/captions.vtt",
        lines=[
            TranscriptLineOut(start_s=line.start_s, end_s=line.end_s, at=line.at, text=line.text)
            for line in found.lines
        ],
    )

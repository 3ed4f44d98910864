"""Whether a copy's captions are ready for release, read in the caller's session: the
release decision asks it (when the release policy requires approved captions) in the same
transaction that records the decision."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight.captions.models import CaptionTrack


def missing(session: Session, recording_id: int, language: str = "en") -> str | None:
    """Why the copy is not ready for release as far as captions go (None: it is)."""
    track = session.scalar(
        select(CaptionTrack).where(
            CaptionTrack.recording_id == recording_id, CaptionTrack.language == language
        )
    )
    if track is None:
        return f"recording {recording_id} has no {language} captions"
    if track.approved_version is None:
        return f"the {language} captions of recording {recording_id} are not approved"
    if track.status != "approved":
        return (
            f"the {language} captions of recording {recording_id} changed after approval "
            f"(version {track.latest_version}; approved {track.approved_version})"
        )
    return None

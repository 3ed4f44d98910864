"""What the custody events say the caption tables hold: every caption version (which
track, which WebVTT hash, from where, by whom) and each track's newest and approved
version. Registered with the replay when imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import Event, State, audited_table, projects

TRACKS = "caption_tracks"
VERSIONS = "caption_versions"

audited_table(
    TRACKS,
    ("recording_id", "language", "latest_version", "approved_version", "approved_by"),
)
# track_id too: a version re-pointed at another track (another recording's, or another
# language's) would show its text as that track's.
audited_table(VERSIONS, ("track_id", "version", "vtt_sha256", "source", "created_by", "cue_count"))


def _ids(event: Event) -> tuple[int, int] | None:
    track_id, version_id = event.details.get("track_id"), event.details.get("caption_version_id")
    if event.object_type != "recording" or event.object_key is None:
        return None
    if not isinstance(track_id, int) or not isinstance(version_id, int):
        return None
    return track_id, version_id


@projects(Action.CAPTION_CREATE, Action.CAPTION_EDIT)
def _version(event: Event, state: State) -> None:
    ids = _ids(event)
    if ids is None:
        return
    track_id, version_id = ids
    d = event.details
    if event.action == Action.CAPTION_CREATE:
        state.create(
            TRACKS,
            track_id,
            {
                "recording_id": event.object_key,
                "language": d.get("language"),
                "latest_version": d.get("version"),
                "approved_version": None,
                "approved_by": None,
            },
        )
    else:
        state.update(TRACKS, track_id, latest_version=d.get("version"))
    state.create(
        VERSIONS,
        version_id,
        {
            "track_id": track_id,
            "version": d.get("version"),
            "vtt_sha256": d.get("vtt_sha256"),
            "source": d.get("source"),
            "created_by": event.actor,
            "cue_count": d.get("cues"),
        },
    )


@projects(Action.CAPTION_APPROVE)
def _approve(event: Event, state: State) -> None:
    ids = _ids(event)
    if ids is not None:
        state.update(
            TRACKS, ids[0], approved_version=event.details.get("version"), approved_by=event.actor
        )

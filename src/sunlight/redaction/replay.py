"""What the custody events say the redaction tables hold: every plan version (which
recording, which stored plan bytes, derived from which version), and which bytes each
redacted copy is. Registered with the replay when imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import Event, State, audited_table, projects

PLANS = "redaction_plans"

audited_table(
    PLANS,
    (
        "recording_id",
        "version",
        "sha256",
        "parent_id",
        "source",
        "created_by",
        "note",
        "track_count",
        "mute_count",
    ),
)


@projects(Action.REDACTION_PLAN)
def _plan(event: Event, state: State) -> None:
    key, plan_id = event.object_key, event.details.get("plan_id")
    if event.object_type != "recording" or key is None or not isinstance(plan_id, int):
        return
    d = event.details
    doc: dict[str, object] = {
        "recording_id": key,
        "created_by": event.actor,
        "note": event.reason,
    }
    for name, source in (
        ("version", "version"),
        ("sha256", "plan_sha256"),
        ("parent_id", "parent_plan_id"),
        ("source", "source"),
        ("track_count", "tracks"),
        ("mute_count", "audio_mutes"),
    ):
        if source in d:
            doc[name] = d[source]
    state.create(PLANS, plan_id, doc)


@projects(Action.REDACT)
def _render(event: Event, state: State) -> None:
    key, sha256 = event.object_key, event.details.get("sha256")
    if (
        event.object_type == "recording"
        and key is not None
        and event.details.get("role") == "derived"
        and isinstance(sha256, str)
    ):
        # A redacted copy is a recording of its own: its bytes are the ones rendered.
        state.update("recordings", key, sha256=sha256)

"""What the custody events say the retention tables hold: legal holds (placed, released),
scheduled deletions and their outcome, and which recordings were disposed of and when.
Registered with the replay when imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import ANY, Event, State, audited_table, day, moment, projects

HOLDS = "legal_holds"
DELETIONS = "retention_deletions"

audited_table(
    HOLDS,
    (
        "recording_id",
        "incident_id",
        "reason",
        "placed_by",
        "released_at",
        "released_by",
        "release_reason",
    ),
)
audited_table(
    DELETIONS,
    (
        "recording_id",
        "sha256",
        "rule",
        "policy_version",
        "due_on",
        "scheduled_on",
        "grace_until",
        "status",
        "scheduled_by",
        "closed_by",
    ),
)

_CLOSED = {
    Action.RETENTION_UNDONE: "undone",
    Action.RETENTION_CANCELLED: "cancelled",
    Action.TOMBSTONE: "done",
}


@projects(Action.HOLD)
def _hold(event: Event, state: State) -> None:
    key, hold_id = event.object_key, event.details.get("hold_id")
    if key is None or not isinstance(hold_id, int):
        return
    incident_id = event.details.get("incident_id")
    if event.object_type == "incident":
        target = {"recording_id": None, "incident_id": key}
    elif event.object_type == "recording" and incident_id is None:
        target = {"recording_id": key, "incident_id": None}
    else:
        return  # one recording of a hold on an incident: the incident's event says it
    state.create(
        HOLDS,
        hold_id,
        {
            **target,
            "reason": event.reason,
            "placed_by": event.actor,
            "released_at": None,
            "released_by": None,
            "release_reason": None,
        },
    )


@projects(Action.HOLD_RELEASE)
def _release(event: Event, state: State) -> None:
    hold_id = event.details.get("hold_id")
    if not isinstance(hold_id, int):
        return
    when = event.details.get("released_at")
    state.update(
        HOLDS,
        hold_id,
        released_at=moment(when) if when else ANY,
        released_by=event.actor,
        release_reason=event.reason,
    )


@projects(Action.RETENTION_SCHEDULED)
def _scheduled(event: Event, state: State) -> None:
    key, deletion_id = event.object_key, event.details.get("deletion_id")
    if event.object_type != "recording" or key is None or not isinstance(deletion_id, int):
        return
    d = event.details
    doc: dict[str, object] = {
        "recording_id": key,
        "status": "pending",
        "scheduled_by": event.actor,
        "closed_by": None,
    }
    for name in ("sha256", "rule", "policy_version"):
        if name in d:
            doc[name] = d[name]
    for name in ("due_on", "scheduled_on", "grace_until"):
        if name in d:
            doc[name] = day(d[name])
    state.create(DELETIONS, deletion_id, doc)


@projects(Action.RETENTION_UNDONE, Action.RETENTION_CANCELLED, Action.TOMBSTONE)
def _closed(event: Event, state: State) -> None:
    deletion_id = event.details.get("deletion_id")
    if isinstance(deletion_id, int):
        state.update(
            DELETIONS, deletion_id, status=_CLOSED[Action(event.action)], closed_by=event.actor
        )
    key = event.object_key
    if event.action == Action.TOMBSTONE and event.object_type == "recording" and key is not None:
        when = event.details.get("deleted_at")
        changes: dict[str, object] = {"deleted_at": moment(when) if when else ANY}
        if "rule" in event.details:
            changes["deletion_rule"] = event.details["rule"]
        state.update("recordings", key, **changes)

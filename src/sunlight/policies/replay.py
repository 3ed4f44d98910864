"""What the custody events say the policy tables hold: each stored version of a policy file
(which policy, its version number and SHA-256, its status, effective date, who proposed it,
the decision on it) and each public comment on a proposal (its text, moderation and the
staff response). The stored text is checked against the SHA-256 the events state, so a file
edited in the database is found. Registered with the replay when imported."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import Derived, Event, State, as_column, audited_table, projects

VERSIONS = "policy_versions"
COMMENTS = "policy_comments"
#: The SHA-256 of the stored text, compared with the one the events state.
CONTENT_SHA256 = "content_sha256"


def content_sha256(row: Mapping[str, Any]) -> str | None:
    content = row.get("content")
    return None if content is None else hashlib.sha256(str(content).encode()).hexdigest()


audited_table(
    VERSIONS,
    (
        "name",
        "version",
        "sha256",
        "status",
        "effective_at",
        "proposed_by",
        "decision",
        "decision_reason",
        "decided_by",
    ),
    derived=(Derived(CONTENT_SHA256, ("content",), content_sha256),),
)
audited_table(COMMENTS, ("version_id", "name", "body", "status", "response", "moderated_by"))


def _id(event: Event, key: str) -> int | None:
    value = event.details.get(key)
    return value if isinstance(value, int) and event.object_type == "policy" else None


def _stated(event: Event, **names: str) -> dict[str, Any]:
    """The fields an event states: ``column=detail key`` for those its details hold."""
    d = event.details
    return {column: d[key] for column, key in names.items() if key in d}


def _new_version(event: Event, status: str) -> dict[str, Any]:
    d = event.details
    doc: dict[str, Any] = {
        "name": event.object_id,
        "version": d.get("version"),
        "sha256": d.get("sha256"),
        CONTENT_SHA256: d.get("sha256"),
        "status": status,
        "decision": None,
        "decision_reason": None,
        "decided_by": None,
    }
    if "effective" in d:
        doc["effective_at"] = as_column(VERSIONS, "effective_at", d["effective"])
    return doc


@projects(Action.POLICY_VERSION)
def _version(event: Event, state: State) -> None:
    """A file in force recorded (adopted), or the version it replaced (superseded)."""
    key = _id(event, "version_id")
    if key is None:
        return
    status = event.details.get("status")
    if state.get(VERSIONS, key) is None and event.details.get("previous") is None:
        state.create(VERSIONS, key, {**_new_version(event, str(status)), "proposed_by": None})
    else:
        state.update(VERSIONS, key, status=status)


@projects(Action.POLICY_PROPOSE)
def _propose(event: Event, state: State) -> None:
    key = _id(event, "version_id")
    if key is not None:
        doc = _new_version(event, "proposed")
        state.create(VERSIONS, key, {**doc, "proposed_by": event.actor})


@projects(Action.POLICY_DECIDE)
def _decide(event: Event, state: State) -> None:
    key = _id(event, "version_id")
    if key is not None:
        fields = _stated(event, decision="decision", status="status", decision_reason="reason")
        state.update(VERSIONS, key, decided_by=event.actor, **fields)


@projects(Action.POLICY_COMMENT)
def _comment(event: Event, state: State) -> None:
    key = _id(event, "comment_id")
    if key is None or "version_id" not in event.details:
        return  # an event from before comments were replayed
    doc = _stated(event, version_id="version_id", name="commenter", body="body")
    state.create(
        COMMENTS, key, {**doc, "status": "pending", "response": None, "moderated_by": None}
    )


@projects(Action.POLICY_MODERATE)
def _moderate(event: Event, state: State) -> None:
    key = _id(event, "comment_id")
    if key is not None:
        fields = _stated(event, status="status", response="response")
        state.update(COMMENTS, key, moderated_by=event.actor, **fields)

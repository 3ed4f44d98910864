"""What the custody events say the incident tables hold: each incident's identity, type,
investigation status and outside-agency custody, the hand-over history, and which
recordings belong to which incident. Registered with the replay when imported."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import ANY, Event, State, audited_table, day, moment, projects
from sunlight.incidents.service import DEPARTMENT

INCIDENTS = "incidents"
LINKS = "incident_recordings"
CUSTODY = "incident_custody"

audited_table(
    INCIDENTS,
    (
        "cad_number",
        "type",
        "source",
        "started_at",
        "ended_at",
        "investigation_status",
        "inactive_reason",
        "status_date",
        "agency_id",
    ),
)
audited_table(LINKS, ("how", "linked_by"), key=("incident_id", "recording_id"))
audited_table(
    CUSTODY,
    ("incident_id", "agency_id", "assigned_at", "assigned_by", "returned_at", "returned_by"),
)


@projects(Action.INCIDENT_CREATE)
def _create(event: Event, state: State) -> None:
    key = event.object_key
    if event.object_type != "incident" or key is None:
        return
    d = event.details
    doc: dict[str, object] = {"agency_id": None, "inactive_reason": None, "status_date": None}
    for name in ("cad_number", "type", "source", "investigation_status"):
        if name in d:
            doc[name] = d[name]
    for name in ("started_at", "ended_at"):
        if name in d:
            doc[name] = moment(d[name])
    state.create(INCIDENTS, key, doc)


@projects(Action.INCIDENT_CHANGE)
def _change(event: Event, state: State) -> None:
    key = event.object_key
    after = event.details.get("after")
    if (
        event.object_type == "incident"
        and key is not None
        and isinstance(after, dict)
        and "type" in after
    ):
        state.update(INCIDENTS, key, type=after["type"])


@projects(Action.INVESTIGATION_STATUS)
def _status(event: Event, state: State) -> None:
    key = event.object_key
    after = event.details.get("after")
    if event.object_type != "incident" or key is None or not isinstance(after, dict):
        return
    state.update(
        INCIDENTS,
        key,
        investigation_status=after.get("status"),
        inactive_reason=after.get("reason"),
        status_date=day(after.get("date")),
    )


@projects(Action.CUSTODY_TRANSFER)
def _transfer(event: Event, state: State) -> None:
    key = event.object_key
    if event.object_type != "incident" or key is None:
        return
    d = event.details
    if "agency_id" in d:
        agency: object = d["agency_id"]
    else:
        agency = None if d.get("to") == DEPARTMENT else ANY
    state.update(INCIDENTS, key, agency_id=agency)
    when = moment(d["at"]) if "at" in d else ANY
    returned = d.get("returned_assignment_id")
    if isinstance(returned, int):
        state.update(CUSTODY, returned, returned_at=when, returned_by=event.actor)
    assigned = d.get("assignment_id")
    if isinstance(assigned, int):
        state.create(
            CUSTODY,
            assigned,
            {
                "incident_id": key,
                "agency_id": agency,
                "assigned_at": when,
                "assigned_by": event.actor,
                "returned_at": None,
                "returned_by": None,
            },
        )


@projects(Action.INCIDENT_LINK)
def _link(event: Event, state: State) -> None:
    key, incident_id = event.object_key, event.details.get("incident_id")
    if event.object_type != "recording" or key is None or not isinstance(incident_id, int):
        return
    doc: dict[str, object] = {"linked_by": event.actor}
    if "how" in event.details:
        doc["how"] = event.details["how"]
    state.create(LINKS, (incident_id, key), doc)


@projects(Action.INCIDENT_UNLINK)
def _unlink(event: Event, state: State) -> None:
    key, incident_id = event.object_key, event.details.get("incident_id")
    if event.object_type == "recording" and key is not None and isinstance(incident_id, int):
        state.remove(LINKS, (incident_id, key))

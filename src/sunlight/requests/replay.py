"""What the custody events say the records-request tables hold: each request's status,
clock, denial and fees, each entry of its timeline, and the pauses that stop its clock (a
pause added or stretched by hand would hide an overdue request). Registered with the replay
when imported. The requester's identity is not in the custody log; a salted commitment to
it is, and the replay recomputes it from the row (``requester_commitment``)."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import (
    Derived,
    Event,
    State,
    as_column,
    audited_table,
    moment,
    projects,
)
from sunlight.requests.audited import (
    AUDITED_FIELDS,
    COMMITMENT,
    REQUESTER_COLUMNS,
    requester_commitment,
)

REQUESTS = "records_requests"
EVENTS = "request_events"
PAUSES = "request_pauses"

audited_table(
    REQUESTS,
    AUDITED_FIELDS,
    derived=(Derived(COMMITMENT, (*REQUESTER_COLUMNS, "requester_salt"), requester_commitment),),
)
audited_table(EVENTS, ("request_id", "kind", "actor", "at", "public_text", "staff_text"))
audited_table(PAUSES, ("request_id", "start", "end", "reason"))


@projects(Action.REQUEST_EVENT)
def _entry(event: Event, state: State) -> None:
    key = event.object_key
    d = event.details
    if event.object_type != "request" or key is None:
        return
    fields = d.get("request")
    if isinstance(fields, dict):
        expected = {n: as_column(REQUESTS, n, fields[n]) for n in AUDITED_FIELDS if n in fields}
        if COMMITMENT in fields:
            expected[COMMITMENT] = fields[COMMITMENT]
        if state.get(REQUESTS, key) is None:
            state.create(REQUESTS, key, expected)
        else:
            state.update(REQUESTS, key, **expected)
    entry = d.get("event_id")
    if isinstance(entry, int):
        state.create(
            EVENTS,
            entry,
            {
                "request_id": key,
                "kind": d.get("kind"),
                "actor": event.actor,
                "at": moment(d["at"]) if "at" in d else None,
                "public_text": d.get("public_text"),
                "staff_text": d.get("staff_text"),
            },
        )
    pauses = d.get("pauses")
    if isinstance(pauses, list):
        for pause in pauses:
            if not isinstance(pause, dict) or not isinstance(pause.get("id"), int):
                continue
            doc = {
                "request_id": key,
                "start": moment(pause.get("start")),
                "end": moment(pause.get("end")),
                "reason": pause.get("reason"),
            }
            if state.get(PAUSES, pause["id"]) is None:
                state.create(PAUSES, pause["id"], doc)
            else:
                state.update(PAUSES, pause["id"], **doc)

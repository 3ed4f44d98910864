"""What the custody events say the evidence tables hold: recordings (which bytes, who,
when, which camera, derivatives, deletion), their flags, and officers' and cameras'
identifying numbers. Registered with the replay when imported (``sunlight.models``)."""

from __future__ import annotations

from sunlight.evidence.custody import Action
from sunlight.evidence.replay import ANY, Event, State, audited_table, moment, projects

RECORDINGS = "recordings"
FLAGS = "recording_flags"

#: Fields of the ingest event's details copied as they are into the expected row.
_INGEST_FIELDS = ("officer_id", "device_id", "title", "notes", "recorded_at_source")
#: Fields a metadata change may set.
_EDITABLE = ("title", "notes", "officer_id", "device_id")

audited_table(
    RECORDINGS,
    (
        "sha256",
        "size_bytes",
        "original_filename",
        "ingest_source",
        "title",
        "notes",
        "officer_id",
        "device_id",
        "recorded_at",
        "recorded_at_source",
        "proxy_sha256",
        "poster_sha256",
        "thumbs_sha256",
        "deleted_at",
        "deletion_rule",
    ),
)
audited_table(FLAGS, ("recording_id", "kind", "reason", "created_by", "cleared_at", "cleared_by"))
audited_table("officers", ("badge_number",), require_event=False)
audited_table("devices", ("serial",), require_event=False)


@projects(Action.INGEST)
def _ingest(event: Event, state: State) -> None:
    key = event.object_key
    if event.object_type != "recording" or key is None:
        return
    d = event.details
    doc: dict[str, object] = {
        "proxy_sha256": None,
        "poster_sha256": None,
        "thumbs_sha256": None,
        "deleted_at": None,
        "deletion_rule": None,
    }
    for name, source in (
        ("sha256", "sha256"),
        ("size_bytes", "size"),
        ("original_filename", "filename"),
        ("ingest_source", "source"),
    ):
        if source in d:
            doc[name] = d[source]
    for name in _INGEST_FIELDS:
        if name in d:
            doc[name] = d[name]
    if "recorded_at" in d:
        doc["recorded_at"] = moment(d["recorded_at"])
    state.create(RECORDINGS, key, doc)


@projects(Action.METADATA_CHANGE)
def _metadata(event: Event, state: State) -> None:
    key = event.object_key
    if key is None:
        return
    d = event.details
    if event.object_type == "recording":
        after = d.get("after")
        if not isinstance(after, dict):
            return
        changes = {name: after[name] for name in _EDITABLE if name in after}
        if "recorded_at" in after:
            changes["recorded_at"] = moment(after["recorded_at"])
            changes["recorded_at_source"] = "operator"
        if changes:
            state.update(RECORDINGS, key, **changes)
    elif event.object_type in ("officer", "device"):
        created = d.get("created")
        if isinstance(created, dict):
            field = "badge_number" if event.object_type == "officer" else "serial"
            if field in created:
                state.create(event.object_type + "s", key, {field: created[field]})


@projects(Action.FLAG)
def _flag(event: Event, state: State) -> None:
    key, flag_id = event.object_key, event.details.get("flag_id")
    if event.object_type != "recording" or key is None or not isinstance(flag_id, int):
        return
    state.create(
        FLAGS,
        flag_id,
        {
            "recording_id": key,
            "kind": event.details.get("kind"),
            "reason": event.reason,
            "created_by": event.actor,
            "cleared_at": None,
            "cleared_by": None,
        },
    )


@projects(Action.UNFLAG)
def _unflag(event: Event, state: State) -> None:
    flag_id = event.details.get("flag_id")
    if not isinstance(flag_id, int):
        return
    when = event.details.get("cleared_at")
    state.update(FLAGS, flag_id, cleared_by=event.actor, cleared_at=moment(when) if when else ANY)


@projects(Action.DERIVE)
def _derive(event: Event, state: State) -> None:
    key = event.object_key
    if event.object_type != "recording" or key is None:
        return
    d = event.details
    state.update(
        RECORDINGS,
        key,
        **{name: d.get(name) for name in ("proxy_sha256", "poster_sha256", "thumbs_sha256")},
    )

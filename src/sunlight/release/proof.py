"""The public proof of a release: ledger proofs of the released copy's ingest and of its
original's ingest, with public fields only.

Built with the ledger's own machinery (``ledger.proofs.event_bundle``) and checked with
its offline checker (``sunlight.ledger.bundle.check_bundle``). The staff bundle carries a
``disclosure`` (the event's salt and private fields: who ingested, filenames, officer and
camera); the public one leaves it out. The entry itself holds only public fields (event,
time, action, object, outcome, SHA-256 values and a salted commitment), so the bundle still
verifies: the leaf, its inclusion proof and the signed checkpoint.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from sunlight.errors import NotFound
from sunlight.incidents.models import Incident
from sunlight.ledger.proofs import event_bundle, ingest_event_id
from sunlight.release.models import Release, ReleaseCase
from sunlight.runtime import Runtime

#: Keys of a staff bundle that the public one never carries.
PRIVATE_KEYS = frozenset({"disclosure"})


def public_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in bundle.items() if key not in PRIVATE_KEYS}


def published(runtime: Runtime, release_id: int) -> tuple[Release, Incident]:
    """A release that is public and published; anything else is 404 (never a hint)."""
    with runtime.db.session(read_only=True) as session:
        row = session.execute(
            select(Release, Incident)
            .join(ReleaseCase, ReleaseCase.id == Release.case_id)
            .join(Incident, Incident.id == ReleaseCase.incident_id)
            .where(
                Release.id == release_id,
                Release.public.is_(True),
                Release.released_at.is_not(None),
            )
        ).one_or_none()
        if row is None:
            raise NotFound(f"no released copy {release_id}")
        session.expunge_all()
        return row[0], row[1]


def proof(runtime: Runtime, release_id: int) -> dict[str, Any]:
    release, incident = published(runtime, release_id)
    with runtime.db.session(read_only=True) as session:
        released = event_bundle(
            runtime, session, ingest_event_id(session, release.derived_recording_id)
        )
        original = event_bundle(
            runtime, session, ingest_event_id(session, release.original_recording_id)
        )
    released_at = release.released_at
    assert released_at is not None
    return {
        "release": {
            "id": release.id,
            "incident_type": incident.type,
            "incident_date": _day(incident.started_at),
            "released_at": released_at.astimezone(UTC).isoformat(),
            "released_recording_id": release.derived_recording_id,
            "original_recording_id": release.original_recording_id,
        },
        "released": public_bundle(released),
        "original": public_bundle(original),
    }


def _day(value: datetime) -> date:
    return value.astimezone(UTC).date() if value.tzinfo else value.date()

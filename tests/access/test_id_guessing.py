"""Guessing ids: another officer's recording answers exactly like one that does not exist
(404), and the attempt on the real one is recorded as a refusal in its custody log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.evidence.models import CustodyEvent
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.support import access_data as data
from tests.support.auth import sign_in


def test_another_officers_recording_is_a_recorded_404(runtime: Runtime) -> None:
    with runtime.db.session() as session:
        mine = data.add_officer(session, unit="Central")
        theirs = data.add_officer(session, unit="East")
        own = data.add_recording(session, officer_id=mine)
        other = data.add_recording(session, officer_id=theirs)
    with TestClient(create_app(runtime, start_worker=False)) as client:
        officer = sign_in(client, runtime, roles=("officer",), officer_id=mine, unit="Central")
        assert client.get(f"/api/recordings/{own}").status_code == 200
        guessed = client.get(f"/api/recordings/{other}")
        missing = client.get(f"/api/recordings/{other + 1000}")
        assert guessed.status_code == missing.status_code == 404
        assert guessed.json()["detail"].replace(str(other), "N") == missing.json()[
            "detail"
        ].replace(str(other + 1000), "N")
        listed = client.get("/api/recordings").json()
        assert [item["id"] for item in listed["items"]] == [own]
    with runtime.db.session(read_only=True) as session:
        refused = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.object_type == "recording",
                CustodyEvent.object_id == str(other),
                CustodyEvent.outcome == "denied",
            )
        ).all()
        assert [(e.actor, e.details["in_scope"]) for e in refused] == [(officer.id, False)]
        nothing = session.scalars(
            select(CustodyEvent).where(CustodyEvent.object_id == str(other + 1000))
        ).all()
        assert nothing == []

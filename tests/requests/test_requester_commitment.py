"""The requester's identity is never in the custody log (it is public), yet an edit of it is
found: every timeline entry's custody event carries a salted commitment to the name, email
and phone, which the replay audit recomputes from the row (both back ends)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from sunlight.evidence.models import CustodyEvent
from sunlight.evidence.replay import Difference, replay
from sunlight.ledger import proofs, sealing
from sunlight.requests import service
from sunlight.requests.audited import COMMITMENT
from sunlight.requests.models import RecordsRequest
from sunlight.requests.states import Status
from sunlight.runtime import Runtime
from tests.requests.support import MONDAY, file

NAME, EMAIL, PHONE = "Jordan Example", "jordan@example.org", "816-555-0199"


def _findings(runtime: Runtime) -> list[Difference]:
    found: list[Difference] = []
    with runtime.db.session(read_only=True) as session:
        replay(session, found.append)
    return found


def _filed(runtime: Runtime) -> int:
    request_id, _ = file(runtime, phone=PHONE)
    with runtime.db.session() as session:
        service.transition(
            session,
            service.get(session, request_id),
            Status.CLARIFICATION_REQUESTED,
            actor="user:1",
            now=MONDAY,
            message="Which day?",
        )
    return request_id


def test_the_log_never_holds_the_identity(runtime: Runtime) -> None:
    request_id = _filed(runtime)
    sealing.seal_pending(runtime)
    with runtime.db.session(read_only=True) as session:
        events = session.scalars(
            select(CustodyEvent).where(
                CustodyEvent.object_type == "request", CustodyEvent.object_id == str(request_id)
            )
        ).all()
        leaves = proofs.leaves_for_events(session, [e.id for e in events])
        salt = session.scalar(
            select(RecordsRequest.requester_salt).where(RecordsRequest.id == request_id)
        )
    assert salt is not None and len(bytes.fromhex(salt)) == 32
    stating = [e for e in events if "request" in e.details]
    assert len(stating) == 2  # received, clarification (the rest: emails queued)
    for event in events:
        private = json.dumps(event.details)
        public = leaves[event.id].entry.decode()
        for secret in (NAME, EMAIL, PHONE, "jordan", salt):
            assert secret not in private and secret not in public
    for event in stating:
        commitment = event.details["request"][COMMITMENT]
        assert len(commitment) == 64
        assert commitment not in leaves[event.id].entry.decode()  # private: in a bundle only
    assert _findings(runtime) == []


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("requester_name", "Someone Else"),
        ("requester_email", "someone@example.org"),
        ("requester_phone", None),
        ("requester_salt", "00" * 32),
    ],
)
def test_an_edited_identity_is_found(runtime: Runtime, column: str, value: object) -> None:
    request_id = _filed(runtime)
    with runtime.db.engine.begin() as conn:
        conn.execute(
            update(RecordsRequest).where(RecordsRequest.id == request_id).values({column: value})
        )
    found = [(d.table, d.row, d.field) for d in _findings(runtime)]
    assert found == [("records_requests", str(request_id), COMMITMENT)], found

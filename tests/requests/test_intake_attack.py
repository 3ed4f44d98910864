"""Attack: a requester's email address is the outbox message's To header. One that the
mail library reads as several recipients (a comma), or that carries control characters,
quotes, brackets or comments, must be refused at intake (422), never queued (both back
ends)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sunlight.notify.models import OutboxMessage
from sunlight.runtime import Runtime
from sunlight.web.app import create_app
from tests.requests.support import MONDAY

BODY = {
    "name": "Jordan Example",
    "email": "jordan@example.org",
    "requester_type": "public",
    "description": "Body camera video of the stop at 5th and Main.",
}
ODD = [
    "chief,me@evil.example",  # the mail library reads two recipients: "chief" and "me@..."
    "a\x01b@example.org",
    'q"<v@example.org',
    "(comment)me@example.org",
    "me@[10.0.0.1].example",
    "me;you@example.org",
    "me@exa\x7fmple.org",
]


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: MONDAY
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize("email", ODD)
def test_odd_email_addresses_are_refused(
    app_client: TestClient, runtime: Runtime, email: str
) -> None:
    answer = app_client.post("/api/public/requests", json={**BODY, "email": email})
    assert answer.status_code == 422, answer.text
    with runtime.db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_ordinary_addresses_still_work(app_client: TestClient) -> None:
    for email in ("jordan.o'neil+kc@example.org", "jörg@example.de", "x@sub.example.co.uk"):
        answer = app_client.post("/api/public/requests", json={**BODY, "email": email})
        assert answer.status_code == 201, (email, answer.text)


CONTROLS = [
    {"name": "Jordan\x1b]0;owned\x07"},  # a terminal escape for `sunlight requests show`
    {"description": "footage\x1b[2J\x1b[Hplease"},
    {"location": "5th\x08\x08\x08Main"},
    {"phone": "816\x9b555"},  # C1 control (CSI)
]


@pytest.mark.parametrize("fields", CONTROLS)
def test_control_characters_are_refused(
    app_client: TestClient, runtime: Runtime, fields: dict[str, str]
) -> None:
    answer = app_client.post("/api/public/requests", json={**BODY, **fields})
    assert answer.status_code == 422, answer.text
    assert "control character" in answer.text
    with runtime.db.session(read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_description_keeps_its_lines(app_client: TestClient) -> None:
    text = "The stop at 5th and Main.\r\n\r\nBoth cameras,\tplease."
    answer = app_client.post("/api/public/requests", json={**BODY, "description": text})
    assert answer.status_code == 201, answer.text
    private = app_client.get(answer.json()["private_api"]).json()
    assert private["description"] == text

"""The staff outbox (``/outbox``, ``/api/outbox``, ``sunlight outbox list``): a private link's
token never shows, in the page, the JSON, the CLI or the logs, while the mail server gets
the real body; queueing a failed message again is ``request:manage``, CSRF-checked and a
``mail.retried`` custody event; an officer sees none of it."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from sunlight.cli.main import cli
from sunlight.evidence.custody import Action
from sunlight.evidence.models import CustodyEvent
from sunlight.notify import outbox
from sunlight.notify.masking import HIDDEN, mask
from sunlight.notify.models import OutboxMessage, OutboxStatus
from sunlight.notify.outbox import RetryPolicy, deliver_due, enqueue
from sunlight.notify.smtp import SendError
from sunlight.requests import service
from sunlight.runtime import Runtime, start
from sunlight.web.app import create_app
from tests.conftest import embedded_settings
from tests.requests.support import MONDAY
from tests.support.auth import make_session, sign_in, sign_out, use_session

SITE = "https://records.kcpd.example"


def test_mask_hides_private_link_tokens_only() -> None:
    token = secrets.token_urlsafe(32)
    text = (
        f"Follow it at {SITE}/public/requests/track/{token}\n"
        f"Download: {SITE}/s/{token}.\nTracking number R-2026-000001, due 2026-12-10."
    )
    masked = mask(text)
    assert token not in masked
    assert f"{SITE}/public/requests/track/{HIDDEN}" in masked
    assert f"{SITE}/s/{HIDDEN}." in masked
    assert "R-2026-000001, due 2026-12-10." in masked
    # a short path segment after /s/ is hidden too (any token, whatever its length)
    assert mask("/s/abc123") == f"/s/{HIDDEN}"
    # a long token anywhere, without a known path
    assert mask(f"echo: {token} end") == f"echo: {HIDDEN} end"
    # ordinary words, addresses and numbers stay
    plain = "Your records request was received; reply to records@kcpd.example (816-555-0100)."
    assert mask(plain) == plain and mask("") == ""


class Refusing:
    """A mail server that refuses every message, echoing its body in the error."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def unavailable(self) -> str | None:
        return None

    def send(self, message: EmailMessage) -> None:
        raise SendError(f"550 refused: {message.get_content()}", permanent=True)


class Accepting(Refusing):
    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


def _file_and_fail(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> tuple[str, str, int]:
    """A records request (its receipt holds the tracking link) and a delivery email (a
    download link), both refused by the mail server; returns both tokens and the id."""
    share = secrets.token_urlsafe(32)
    with runtime.db.session() as session:
        request, raw = service.file_request(
            session,
            name="Jordan Example",
            email="jordan@example.org",
            requester_type="public",
            description="Body camera footage of the stop at 5th and Main on 1 December.",
            now=MONDAY,
            base_url=SITE,
        )
        delivered = enqueue(
            session,
            to="jordan@example.org",
            subject=f"[{request.tracking_number}] Your copy",
            body=f"Download: {SITE}/s/{share}\nThe link is yours alone; keep it private.",
            topic=f"request:{request.id}",
            now=MONDAY,
        )
        delivered_id = delivered.id
    with caplog.at_level(logging.INFO, logger="sunlight.notify"):
        report = deliver_due(runtime, Refusing(), now=MONDAY, policy=RetryPolicy(max_attempts=1))
    assert len(report.failed) == 2
    assert raw in _real_bodies(runtime) and share in _real_bodies(runtime)
    return raw, share, delivered_id


def _real_bodies(runtime: Runtime) -> str:
    with runtime.db.session(read_only=True) as session:
        return "\n".join(m.body for m in session.scalars(select(OutboxMessage)))


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    app = create_app(runtime, start_worker=False)
    app.state.clock = lambda: MONDAY
    with TestClient(app) as test_client:
        yield test_client


def test_page_json_and_logs_never_show_a_token(
    client: TestClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    raw, share, delivered_id = _file_and_fail(runtime, caplog)
    assert "failed after 1 attempts" in caplog.text  # the failure was logged ...
    assert raw not in caplog.text and share not in caplog.text  # ... masked
    with runtime.db.session(read_only=True) as session:
        failed = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == Action.MAIL_FAILED)
        ).all()
    assert len(failed) == 2 and all(
        raw not in (e.reason or "") and share not in (e.reason or "") for e in failed
    )
    sign_in(client, runtime, roles=("internal-affairs",), now=MONDAY)  # request:view only
    page = client.get("/outbox")
    assert page.status_code == 200
    assert "Your records request was received" in page.text and "Your copy" in page.text
    assert f"/public/requests/track/{HIDDEN}" in page.text and f"/s/{HIDDEN}" in page.text
    assert raw not in page.text and share not in page.text
    assert "Send again" not in page.text  # request:view may not retry
    listed = client.get("/api/outbox")
    assert listed.status_code == 200
    assert raw not in listed.text and share not in listed.text
    document = listed.json()
    assert document["counts"] == {"failed": 2}
    by_id = {m["id"]: m for m in document["messages"]}
    assert by_id[delivered_id]["body"].startswith(f"Download: {SITE}/s/{HIDDEN}")
    assert by_id[delivered_id]["last_error"].startswith("550 refused: Download:")
    only = client.get("/api/outbox", params={"status": "failed", "topic": "request:1"}).json()
    assert [m["id"] for m in only["messages"]] == sorted(by_id, reverse=True)
    assert client.get("/api/outbox", params={"status": "lost"}).status_code == 422
    assert client.get("/api/outbox", params={"topic": "request:1;drop"}).status_code == 422
    assert client.get("/outbox", params={"status": "sent"}).status_code == 200
    # the request's own page lists its emails' errors masked the same way
    detail = client.get("/api/requests/1")
    assert detail.status_code == 200 and len(detail.json()["emails"]) == 2
    assert raw not in detail.text and share not in detail.text
    assert raw not in client.get("/requests/1").text


def test_retry_is_recorded_and_sends_the_real_body(
    client: TestClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    _, share, delivered_id = _file_and_fail(runtime, caplog)
    signed = make_session(runtime, roles=("records-custodian",), now=MONDAY)
    use_session(client, signed)
    page = client.get("/outbox")
    assert "Send again" in page.text and share not in page.text
    # a form post without its CSRF token is refused
    client.headers.pop("X-CSRF-Token")
    refused = client.post(f"/outbox/{delivered_id}/retry", follow_redirects=False)
    assert refused.status_code == 403
    with runtime.db.session(read_only=True) as session:
        assert outbox.get(session, delivered_id).status == OutboxStatus.FAILED
    retried = client.post(
        f"/outbox/{delivered_id}/retry",
        data={"csrf_token": signed.csrf_token},
        follow_redirects=False,
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == f"/outbox#message-{delivered_id}"
    with runtime.db.session(read_only=True) as session:
        message = outbox.get(session, delivered_id)
        assert (message.status, message.attempts) == (OutboxStatus.QUEUED, 0)
        [event] = session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == Action.MAIL_RETRIED)
        ).all()
    assert event.actor == signed.principal.id
    assert (event.object_type, event.object_id) == ("request", "1")
    assert event.details["outbox_id"] == delivered_id and event.details["attempts_before"] == 1
    assert share not in json.dumps(event.details)
    # only a failed message is queued again
    again = client.post(
        f"/outbox/{delivered_id}/retry",
        data={"csrf_token": signed.csrf_token},
        follow_redirects=False,
    )
    assert again.status_code == 422 and "not failed" in again.text
    assert (
        client.post("/outbox/999999/retry", data={"csrf_token": signed.csrf_token}).status_code
        == 404
    )
    # the mail server gets the real body, link and all
    server = Accepting()
    deliver_due(runtime, server, now=MONDAY)
    [sent] = server.sent
    assert f"{SITE}/s/{share}" in sent.get_content()


def test_an_officer_is_refused(client: TestClient, runtime: Runtime) -> None:
    with runtime.db.session() as session:
        message = enqueue(
            session, to="a@example.org", subject="s", body="b", topic="request:1", now=MONDAY
        )
        message.status = OutboxStatus.FAILED
        message_id = message.id
    assert client.get("/outbox", follow_redirects=False).status_code in (303, 401)
    assert client.get("/api/outbox").status_code == 401
    signed = make_session(runtime, roles=("officer",), now=MONDAY)
    use_session(client, signed)
    assert client.get("/outbox").status_code == 403
    assert client.get("/api/outbox").status_code == 403
    post = client.post(f"/outbox/{message_id}/retry", data={"csrf_token": signed.csrf_token})
    assert post.status_code == 403
    sign_out(client)
    sign_in(client, runtime, roles=("internal-affairs",), now=MONDAY)  # view, not manage
    assert client.post(f"/outbox/{message_id}/retry").status_code == 403
    with runtime.db.session(read_only=True) as session:
        assert outbox.get(session, message_id).status == OutboxStatus.FAILED
        assert not session.scalars(
            select(CustodyEvent).where(CustodyEvent.action == Action.MAIL_RETRIED)
        ).all()


def test_cli_listing_masks_and_retry_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    for name in ("SUNLIGHT_SMTP_HOST", "SUNLIGHT_DATABASE_URL", "SUNLIGHT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    runtime = start(embedded_settings(home))
    try:
        raw, share, delivered_id = _file_and_fail(runtime, caplog)
    finally:
        runtime.close()
    runner = CliRunner()
    for args in (["list"], ["list", "--json"], ["list", "--topic", "request:1", "--json"]):
        result = runner.invoke(cli, ["outbox", *args])
        assert result.exit_code == 0, result.output
        assert raw not in result.output and share not in result.output
        assert HIDDEN in result.output  # the error echoing the body, masked
    document = json.loads(result.output)
    assert {m["id"]: m for m in document["messages"]}[delivered_id]["body"].startswith(
        f"Download: {SITE}/s/{HIDDEN}"
    )
    result = runner.invoke(cli, ["outbox", "retry", str(delivered_id), "--operator", "dana"])
    assert result.exit_code == 0, result.output
    runtime = start(embedded_settings(home))
    try:
        with runtime.db.session(read_only=True) as session:
            [event] = session.scalars(
                select(CustodyEvent).where(CustodyEvent.action == Action.MAIL_RETRIED)
            ).all()
        assert event.actor == "cli:dana"
    finally:
        runtime.close()

"""The durable email outbox against a real SMTP server (aiosmtpd), on both back ends:
nothing is lost while the server is down, retries back off, every message is delivered
once, two sweepers never send one message twice, and permanent refusals end as failed."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from sunlight.db.engine import Database
from sunlight.errors import InvalidInput, NotFound
from sunlight.evidence.custody import Action
from sunlight.evidence.models import CustodyEvent
from sunlight.notify import outbox
from sunlight.notify.models import OutboxMessage, OutboxStatus
from sunlight.notify.outbox import RetryPolicy, deliver_due, enqueue, messages_for
from sunlight.notify.smtp import SendError, SmtpSender, SmtpSettings
from sunlight.runtime import Runtime
from tests.notify.smtp_server import Recorder, free_port, smtp_server

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def sender_for(port: int) -> SmtpSender:
    return SmtpSender(
        SmtpSettings(
            host="127.0.0.1",
            port=port,
            starttls=False,
            mail_from="KCPD Records <records@kcpd.example>",
            timeout_s=5,
        )
    )


def queue(runtime: Runtime, n: int, *, topic: str = "request:42", to: str = "") -> list[int]:
    ids = []
    with runtime.db.session() as session:
        for i in range(n):
            message = enqueue(
                session,
                to=to or f"requester{i}@example.org",
                subject=f"Your records request R-42 ({i})",
                body=f"Message {i}: your request was received.",
                topic=topic,
                now=T0,
            )
            ids.append(message.id)
    return ids


def rows(runtime: Runtime, topic: str = "request:42") -> list[OutboxMessage]:
    with runtime.db.session(read_only=True) as session:
        return messages_for(session, topic)


def mail_events(runtime: Runtime) -> list[CustodyEvent]:
    with runtime.db.session(read_only=True) as session:
        return list(
            session.scalars(
                select(CustodyEvent)
                .where(CustodyEvent.action.in_([Action.MAIL_SENT, Action.MAIL_FAILED]))
                .order_by(CustodyEvent.id)
            )
        )


def test_enqueue_is_part_of_the_callers_transaction(runtime: Runtime) -> None:
    def failing_change() -> None:
        with runtime.db.session() as session:
            enqueue(session, to="a@example.org", subject="s", body="b", topic="request:1", now=T0)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert rows(runtime, "request:1") == []
    [first] = queue(runtime, 1, topic="request:1")
    [message] = rows(runtime, "request:1")
    assert message.id == first
    assert message.status == OutboxStatus.QUEUED
    assert message.attempts == 0
    assert message.next_attempt_at == T0
    assert message.message_id.startswith("<") and message.message_id.endswith("@outbox.sunlight>")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("to", "not an address", "not an email address"),
        ("to", "a@example.org\r\nBcc: b@example.org", "not an email address"),
        ("subject", "line one\nBcc: x@example.org", "one line"),
        ("subject", "", "one line"),
        ("topic", "Request 42", "kind:id"),
        ("topic", "a-very-long-object-type-name-indeed:1", "kind:id"),
    ],
)
def test_enqueue_refuses_bad_input(
    embedded_runtime: Runtime, field: str, value: str, message: str
) -> None:
    args = {"to": "a@example.org", "subject": "s", "body": "b", "topic": "request:1"}
    args[field] = value
    with pytest.raises(InvalidInput, match=message), embedded_runtime.db.session() as session:
        enqueue(session, now=T0, **args)


def test_backoff_doubles_up_to_a_cap() -> None:
    policy = RetryPolicy(base_s=30, cap_s=900)
    assert [policy.backoff(n).total_seconds() for n in range(1, 8)] == [
        30,
        60,
        120,
        240,
        480,
        900,
        900,
    ]


def test_server_down_then_up_delivers_every_message_once(runtime: Runtime) -> None:
    port = free_port()  # nothing listens here yet
    sender = sender_for(port)
    ids = queue(runtime, 3)
    now = T0
    reports = []
    for step in range(6):  # sweeps while the server is down
        reports.append(deliver_due(runtime, sender, now=now))
        now += timedelta(seconds=10 * (step + 1))
    assert all(r.sent == [] for r in reports)
    assert all(
        r.stopped and "cannot reach the mail server" in r.stopped for r in reports if r.retrying
    )
    tried = [r.retrying for r in reports]
    assert sum(len(t) for t in tried) >= 4  # every sweep that found one due tried one
    for message in rows(runtime):
        assert message.status == OutboxStatus.QUEUED
        assert message.attempts >= 1
        assert "cannot reach the mail server" in (message.last_error or "")
        # backed off: the next attempt waits 30 s after the first failure, 60 s after the second
        assert message.next_attempt_at > T0
    first = rows(runtime)[0]
    assert first.attempts == 2 and first.next_attempt_at - now < timedelta(seconds=61)

    with smtp_server(port, Recorder()) as server:
        report = deliver_due(runtime, sender, now=now + timedelta(minutes=20))
        assert sorted(report.sent) == ids
        again = deliver_due(runtime, sender, now=now + timedelta(hours=2))
        assert again.sent == [] and again.retrying == []
        received = server.message_ids()
    sent = rows(runtime)
    assert received == Counter({m.message_id: 1 for m in sent})
    assert all(m.status == OutboxStatus.SENT and m.last_error is None for m in sent)
    assert all(m.sent_at == now + timedelta(minutes=20) for m in sent)
    envelope = server.messages[0]
    assert envelope["From"] == "KCPD Records <records@kcpd.example>"
    assert envelope["X-Envelope-From"] == "records@kcpd.example"
    assert envelope["X-Sunlight-Topic"] == "request:42"
    assert envelope["Subject"].startswith("Your records request R-42")
    # Every message sent is on the request's timeline, as a custody event without the address.
    events = mail_events(runtime)
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("mail.sent", "request", "42")
    ] * 3
    assert sorted(e.details["outbox_id"] for e in events) == ids
    assert all("requester" not in str(e.details) for e in events)


def test_two_sweepers_never_send_one_message_twice(runtime: Runtime) -> None:
    port = free_port()
    ids = queue(runtime, 24)
    second = Database(runtime.settings.database_url)  # another process's connection pool
    reports = []
    errors: list[BaseException] = []
    together = threading.Barrier(2)

    def sweep(source: Runtime | Database) -> None:
        try:
            together.wait(10)
            reports.append(deliver_due(source, sender_for(port), now=T0, limit=100))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    try:
        with smtp_server(port, Recorder(delay_s=0.01)) as server:
            threads = [
                threading.Thread(target=sweep, args=(source,)) for source in (runtime, second)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            received = server.message_ids()
    finally:
        second.dispose()
    assert not errors
    sent = [i for r in reports for i in r.sent]
    assert sorted(sent) == ids  # each message sent by exactly one sweeper
    assert all(r.sent for r in reports), "both sweepers should have taken a share"
    assert len(received) == 24 and set(received.values()) == {1}
    assert len(mail_events(runtime)) == 24


def test_permanent_refusal_fails_after_max_attempts(runtime: Runtime) -> None:
    port = free_port()
    sender = sender_for(port)
    [bad] = queue(runtime, 1, to="nobody@example.org")
    [good] = queue(runtime, 1, to="someone@example.org")
    policy = RetryPolicy(base_s=30, max_attempts=3)
    recorder = Recorder()
    recorder.refuse.add("nobody@example.org")
    now = T0
    with smtp_server(port, recorder) as server:
        first = deliver_due(runtime, sender, now=now, policy=policy)
        assert first.retrying == [bad] and first.sent == [good]  # a 5xx does not stop the sweep
        for _ in range(5):
            now += timedelta(minutes=10)
            deliver_due(runtime, sender, now=now, policy=policy)
        assert server.message_ids() == Counter({rows(runtime)[1].message_id: 1})
    refused = rows(runtime)[0]
    assert refused.status == OutboxStatus.FAILED
    assert refused.attempts == 3
    assert "550" in (refused.last_error or "")
    failed = [e for e in mail_events(runtime) if e.action == Action.MAIL_FAILED]
    assert len(failed) == 1
    assert failed[0].outcome == "failed" and "550" in (failed[0].reason or "")
    # visible, and queued again on request
    with runtime.db.session(read_only=True) as session:
        assert [m.id for m in outbox.list_messages(session, status="failed")] == [bad]
        assert outbox.counts(session) == {"failed": 1, "sent": 1}
    with runtime.db.session() as session:
        outbox.retry(session, bad, now=now, actor="user:1")
    assert rows(runtime)[0].status == OutboxStatus.QUEUED
    with runtime.db.session() as session, pytest.raises(InvalidInput, match="not failed"):
        outbox.retry(session, good, now=now, actor="user:1")
    with runtime.db.session() as session, pytest.raises(NotFound):
        outbox.retry(session, 999_999, now=now, actor="user:1")


def test_deferred_recipient_retries_and_transient_failures_give_up_late(
    embedded_runtime: Runtime,
) -> None:
    port = free_port()
    sender = sender_for(port)
    [deferred] = queue(embedded_runtime, 1, to="busy@example.org")
    policy = RetryPolicy(base_s=30, give_up_after=timedelta(hours=1))
    recorder = Recorder()
    recorder.defer.add("busy@example.org")
    with smtp_server(port, recorder):
        report = deliver_due(embedded_runtime, sender, now=T0, policy=policy)
        assert report.retrying == [deferred] and report.stopped and "451" in report.stopped
        for minutes in (5, 20, 40):  # far more than max_attempts tries: not a 5xx
            deliver_due(
                embedded_runtime, sender, now=T0 + timedelta(minutes=minutes), policy=policy
            )
        assert rows(embedded_runtime)[0].status == OutboxStatus.QUEUED
        late = deliver_due(embedded_runtime, sender, now=T0 + timedelta(hours=2), policy=policy)
    assert late.failed == [deferred]
    message = rows(embedded_runtime)[0]
    assert message.status == OutboxStatus.FAILED and "451" in (message.last_error or "")


def test_without_a_mail_server_messages_stay_queued_and_say_why(runtime: Runtime) -> None:
    ids = queue(runtime, 2)
    sender = SmtpSender(SmtpSettings())  # no SUNLIGHT_SMTP_HOST
    report = deliver_due(runtime, sender, now=T0)
    assert report.waiting and "SUNLIGHT_SMTP_HOST" in report.waiting
    assert report.sent == report.retrying == report.failed == []
    for message in rows(runtime):
        assert message.id in ids
        assert message.status == OutboxStatus.QUEUED and message.attempts == 0
        assert "no mail server is configured" in (message.last_error or "")
    assert deliver_due(runtime, sender, now=T0 + timedelta(days=30)).waiting  # never fails


class Crash(BaseException):
    """The process dies (power cut) right after the server accepted the message."""


class CrashAfterSending:
    def __init__(self, inner: SmtpSender) -> None:
        self.inner = inner
        self.mail_from = inner.mail_from

    def unavailable(self) -> str | None:
        return None

    def send(self, message: EmailMessage) -> None:
        self.inner.send(message)
        raise Crash


def test_a_send_retried_after_a_crash_keeps_its_message_id(embedded_runtime: Runtime) -> None:
    port = free_port()
    [only] = queue(embedded_runtime, 1)
    policy = RetryPolicy(lease=timedelta(minutes=10))
    with smtp_server(port, Recorder()) as server:
        with pytest.raises(Crash):
            deliver_due(
                embedded_runtime, CrashAfterSending(sender_for(port)), now=T0, policy=policy
            )
        assert rows(embedded_runtime)[0].status == OutboxStatus.SENDING
        # Another sweep inside the lease leaves it to its claimant ...
        assert deliver_due(embedded_runtime, sender_for(port), now=T0, policy=policy).sent == []
        # ... after the lease it is sent again, recognisably the same message.
        later = T0 + timedelta(minutes=11)
        assert deliver_due(embedded_runtime, sender_for(port), now=later, policy=policy).sent == [
            only
        ]
        received = server.message_ids()
    message = rows(embedded_runtime)[0]
    assert received == Counter({message.message_id: 2})
    assert message.status == OutboxStatus.SENT and message.attempts == 2


def test_starttls_is_never_skipped(embedded_runtime: Runtime) -> None:
    port = free_port()
    queue(embedded_runtime, 1)
    tls = SmtpSender(SmtpSettings(host="127.0.0.1", port=port, starttls=True, timeout_s=5))
    with smtp_server(port, Recorder()) as server:  # offers no STARTTLS
        report = deliver_due(embedded_runtime, tls, now=T0)
        assert server.messages == []
    assert report.retrying and report.stopped and "STARTTLS" in report.stopped


def test_claims_lock_rows_on_postgresql() -> None:
    from sqlalchemy.dialects import postgresql, sqlite

    query = outbox.claim_query(T0)
    assert "FOR UPDATE SKIP LOCKED" in str(query.compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE" not in str(query.compile(dialect=sqlite.dialect()))


def test_send_error_classification() -> None:
    sender = SmtpSender(SmtpSettings())
    with pytest.raises(SendError) as info:
        sender.send(EmailMessage())
    assert info.value.permanent is False


def test_an_address_the_server_cannot_take_does_not_stop_the_sweep(runtime: Runtime) -> None:
    """Attack: a requester files with a non-ASCII address ("jörg@..."); a server without
    SMTPUTF8 can never take it. That is a permanent failure of that message, not "the
    server is down": the sweep goes on and the others are sent."""
    port = free_port()
    [odd] = queue(runtime, 1, to="jörg@example.de")
    [good] = queue(runtime, 1, to="someone@example.org")
    server = Recorder()
    controller = Controller(server, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        report = deliver_due(runtime, sender_for(port), now=T0)
    finally:
        controller.stop()
    assert report.stopped is None
    assert report.sent == [good] and report.retrying == [odd]
    assert len(server.messages) == 1
    assert "SMTPUTF8" in (rows(runtime)[0].last_error or "")

"""SMTP settings from the environment, `sunlight outbox list|send|retry`, and the outbox
sweep in `serve`'s schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from sunlight.cli.main import cli
from sunlight.config import ConfigError
from sunlight.notify.outbox import enqueue
from sunlight.notify.smtp import SmtpSettings
from sunlight.runtime import Runtime, start
from tests.conftest import embedded_settings
from tests.notify.smtp_server import Recorder, free_port, smtp_server

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def test_settings_from_env() -> None:
    assert SmtpSettings.from_env({}) == SmtpSettings()
    assert SmtpSettings().starttls is True and SmtpSettings().host is None
    settings = SmtpSettings.from_env(
        {
            "SUNLIGHT_SMTP_HOST": "mail.kcpd.example",
            "SUNLIGHT_SMTP_PORT": "2525",
            "SUNLIGHT_SMTP_STARTTLS": "false",
            "SUNLIGHT_SMTP_USERNAME": "sunlight",
            "SUNLIGHT_SMTP_PASSWORD": "s3cret-passphrase",
            "SUNLIGHT_MAIL_FROM": "KCPD Records <records@kcpd.example>",
            "SUNLIGHT_SMTP_TIMEOUT_S": "12.5",
        }
    )
    assert settings.host == "mail.kcpd.example" and settings.port == 2525
    assert settings.starttls is False and settings.timeout_s == 12.5
    assert "s3cret" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SUNLIGHT_SMTP_PORT": "smtp"}, "must be numbers"),
        ({"SUNLIGHT_SMTP_PORT": "70000"}, "out of range"),
        ({"SUNLIGHT_SMTP_STARTTLS": "maybe"}, "true or false"),
        ({"SUNLIGHT_MAIL_FROM": "records"}, "not an email address"),
        ({"SUNLIGHT_SMTP_USERNAME": "u"}, "both"),
    ],
)
def test_bad_settings_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        SmtpSettings.from_env(env)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SUNLIGHT_HOME", str(home))
    monkeypatch.setenv("SUNLIGHT_WORKER_MODE", "eager")
    for name in ("SUNLIGHT_SMTP_HOST", "SUNLIGHT_DATABASE_URL", "SUNLIGHT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    runtime = start(embedded_settings(home))
    with runtime.db.session() as session:
        for to in ("a@example.org", "b@example.org"):
            enqueue(
                session,
                to=to,
                subject="Request R-7 received",
                body="Thank you.",
                topic="request:7",
                now=T0,
            )
    runtime.close()
    return home


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["outbox", *args])
    return result.exit_code, result.output


def test_outbox_cli(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out = run("send", "--json")
    assert code == 0, out
    assert "SUNLIGHT_SMTP_HOST" in json.loads(out)["waiting"]
    code, out = run("list")
    assert code == 0, out
    assert out.startswith("2 queued")
    assert "no mail server is configured" in out
    port = free_port()
    monkeypatch.setenv("SUNLIGHT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUNLIGHT_SMTP_PORT", str(port))
    monkeypatch.setenv("SUNLIGHT_SMTP_STARTTLS", "false")
    recorder = Recorder()
    recorder.refuse.add("b@example.org")
    with smtp_server(port, recorder):
        code, out = run("send")
    assert code == 0, out
    assert "sent 1, retrying 1, failed 0" in out
    code, out = run("list", "--topic", "request:7", "--json")
    document = json.loads(out)
    assert document["counts"] == {"queued": 1, "sent": 1}
    by_to = {m["to"]: m for m in document["messages"]}
    assert by_to["a@example.org"]["status"] == "sent"
    assert by_to["b@example.org"]["attempts"] == 1
    assert "550" in by_to["b@example.org"]["last_error"]
    code, out = run("retry", str(by_to["b@example.org"]["id"]))
    assert code == 1 and "is queued, not failed" in out
    code, out = run("retry", "12345")
    assert code == 1 and "no outbox message 12345" in out


def test_serve_schedule_sweeps_the_outbox(
    embedded_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sunlight.web.maintenance import OUTBOX_INTERVAL_S, server_schedule

    port = free_port()
    monkeypatch.setenv("SUNLIGHT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUNLIGHT_SMTP_PORT", str(port))
    monkeypatch.setenv("SUNLIGHT_SMTP_STARTTLS", "0")
    with embedded_runtime.db.session() as session:
        enqueue(session, to="a@example.org", subject="s", body="b", topic="release:3", now=T0)
    [task] = [
        t for t in server_schedule(embedded_runtime, retention=False).tasks if t.name == "outbox"
    ]
    assert task.interval_s == OUTBOX_INTERVAL_S == 10
    with smtp_server(port, Recorder()) as server:
        task.action()
        assert len(server.messages) == 1
        task.action()
        assert len(server.messages) == 1

"""Sending one email over SMTP, configured from the environment.

==========================  ============================================================
variable                    meaning (default)
==========================  ============================================================
SUNLIGHT_SMTP_HOST          the mail server; unset: nothing is sent, mail stays queued
SUNLIGHT_SMTP_PORT          587
SUNLIGHT_SMTP_STARTTLS      true: upgrade the connection with STARTTLS before anything
                            else (certificate checked); false only for a local relay
SUNLIGHT_SMTP_USERNAME      with SUNLIGHT_SMTP_PASSWORD: log in (after STARTTLS)
SUNLIGHT_SMTP_PASSWORD
SUNLIGHT_MAIL_FROM          the From address (``Sunlight <records@example.org>``)
SUNLIGHT_SMTP_TIMEOUT_S     seconds to wait for the server (30)
==========================  ============================================================

A reply of 5xx is permanent (`SendError` with ``permanent=True``); a 4xx reply, a refused
or lost connection or a timeout is transient. The outbox decides what to do with either.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol

from sunlight.config import ConfigError

ENV = "SUNLIGHT_"
DEFAULT_FROM = "Sunlight <sunlight@localhost>"


class SendError(Exception):
    """A message was not accepted. ``permanent``: the server said no (5xx), not "later"."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class Sender(Protocol):
    """What the outbox sends through (`SmtpSender`, or a test's)."""

    def unavailable(self) -> str | None:
        """Why nothing can be sent now (e.g. no server configured), or None."""
        ...

    def send(self, message: EmailMessage) -> None:
        """Hand one message to the server; raise `SendError` if it is not accepted."""
        ...


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    mail_from: str = DEFAULT_FROM
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(ENV + name, "").strip()
            return value or None

        try:
            port = int(get("SMTP_PORT") or 587)
            timeout_s = float(get("SMTP_TIMEOUT_S") or 30)
        except ValueError as exc:
            raise ConfigError(
                "SUNLIGHT_SMTP_PORT and SUNLIGHT_SMTP_TIMEOUT_S must be numbers"
            ) from exc
        if not 0 < port < 65536 or timeout_s <= 0:
            raise ConfigError("SUNLIGHT_SMTP_PORT or SUNLIGHT_SMTP_TIMEOUT_S is out of range")
        starttls = (get("SMTP_STARTTLS") or "true").lower()
        if starttls not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            raise ConfigError("SUNLIGHT_SMTP_STARTTLS must be true or false")
        mail_from = get("MAIL_FROM") or DEFAULT_FROM
        if "@" not in parseaddr(mail_from)[1]:
            raise ConfigError(f"SUNLIGHT_MAIL_FROM {mail_from!r} is not an email address")
        username = get("SMTP_USERNAME")
        password = env.get(ENV + "SMTP_PASSWORD") or None
        if (username is None) != (password is None):
            raise ConfigError(
                "set both SUNLIGHT_SMTP_USERNAME and SUNLIGHT_SMTP_PASSWORD, or neither"
            )
        return cls(
            host=get("SMTP_HOST"),
            port=port,
            starttls=starttls in {"1", "true", "yes", "on"},
            username=username,
            password=password,
            mail_from=mail_from,
            timeout_s=timeout_s,
        )


class SmtpSender:
    """Sends each message on its own connection (the sweep is small and infrequent)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSender:
        return cls(SmtpSettings.from_env(env))

    @property
    def mail_from(self) -> str:
        return self.settings.mail_from

    def unavailable(self) -> str | None:
        if not self.settings.host:
            return "no mail server is configured (SUNLIGHT_SMTP_HOST): messages stay queued"
        return None

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        if not s.host:
            raise SendError(self.unavailable() or "", permanent=False)
        if "From" not in message:
            message["From"] = s.mail_from
        envelope_from = parseaddr(s.mail_from)[1]
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout_s) as smtp:
                if s.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if s.username and s.password:
                    smtp.login(s.username, s.password)
                smtp.send_message(message, from_addr=envelope_from)
        except smtplib.SMTPNotSupportedError as exc:
            if "SMTPUTF8" not in str(exc):  # e.g. no STARTTLS: the server, for every message
                raise SendError(
                    f"cannot reach the mail server {s.host}:{s.port}: {exc}", permanent=False
                ) from exc
            # This message needs what the server lacks (SMTPUTF8 for a non-ASCII address):
            # retrying never helps, and the server is up, so the sweep goes on.
            raise SendError(
                f"the mail server cannot take this message: {exc}", permanent=True
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise SendError(
                f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)
            ) from exc
        except smtplib.SMTPResponseException as exc:
            error = exc.smtp_error
            text = error.decode(errors="replace") if isinstance(error, bytes) else str(error)
            raise SendError(f"{exc.smtp_code} {text}", permanent=exc.smtp_code >= 500) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(
                f"cannot reach the mail server {s.host}:{s.port}: {exc}", permanent=False
            ) from exc

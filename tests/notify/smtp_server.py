"""A local SMTP server (aiosmtpd) that records what it accepts, for outbox tests."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Recorder:
    """Accepts mail, except to ``refuse`` (550) and ``defer`` (451) recipients."""

    def __init__(self, *, delay_s: float = 0.0) -> None:
        self.messages: list[Message] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.delay_s = delay_s
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        if address in self.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-From"] = envelope.mail_from
        with self._lock:
            self.messages.append(message)
        return "250 2.0.0 accepted"

    def message_ids(self) -> Counter[str]:
        with self._lock:
            return Counter(str(m["Message-ID"]) for m in self.messages)


@contextmanager
def smtp_server(port: int, recorder: Recorder) -> Iterator[Recorder]:
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()

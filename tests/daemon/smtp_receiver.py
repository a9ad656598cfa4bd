"""A real SMTP server on a loopback port (aiosmtpd), keeping what it accepts; it may refuse the
first messages with a temporary error, as a busy or greylisting server does."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from daemon_helpers import free_port


@dataclass
class Received:
    recipients: list[str]
    sender: str
    message: EmailMessage

    @property
    def text(self) -> str:
        body = self.message.get_body(("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class Mailbox:
    host: str
    port: int
    refuse_first: int = 0
    refused: int = 0
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refused < self.refuse_first:
            self.refused += 1
            return "451 4.3.0 busy, try again later"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), envelope.mail_from, message))
        return "250 2.0.0 accepted"


@contextmanager
def smtp_server(refuse_first: int = 0) -> Iterator[Mailbox]:
    box = Mailbox("127.0.0.1", free_port(), refuse_first)
    controller = Controller(box, hostname=box.host, port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()

"""The channels: the webhook POSTs each outbox message as JSON, the e-mail one writes to the
organisation's contact over SMTP (workflows.outbox_delivery delivers through them).

The deliverer marks a message delivered only after a 2xx answer; a repeat carries the same
`Idempotency-Key` header (`starcert-notification-<id>`), so the receiver can drop it. With a
secret, each delivery is signed afresh (starcert.webhook_signature): a retry carries the time it
was sent, not the time of the first try.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from starcert.webhook_signature import signed_headers
from workflows.outbox_delivery import (
    Deliverer,
    Deliverers,
    DeliveryFailed,
    idempotency_key,
    message_body,
)
from workflows.ports import Clock, Notification, UnitOfWork

if TYPE_CHECKING:
    from starcert.config import Config
    from starcert.daemon import ShiftableClock


class WebhookChannel:
    """POSTs each message as JSON to one URL; any 2xx answer is a delivery.

    `clock` stamps the signature: give it the real time, which the receiver compares with its own.
    """

    def __init__(
        self, url: str, timeout_s: float, *, secret: bytes = b"", clock: Clock | None = None
    ) -> None:
        if secret and clock is None:
            raise ValueError("a signing webhook channel needs a clock")
        self.url = url
        self.timeout_s = timeout_s
        self.secret = secret
        self.clock = clock
        # No proxies from the environment: the receiver is the body's own endpoint.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def send(self, message: Notification) -> None:
        body = json.dumps(message_body(message), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": idempotency_key(message),
            "User-Agent": "starcert-daemon",
        }
        if self.secret and self.clock is not None:
            headers |= signed_headers(self.secret, int(self.clock.now().timestamp()), body)
        request = urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout_s) as response:
                status = int(response.status)
        except urllib.error.HTTPError as exc:
            raise DeliveryFailed(f"HTTP {exc.code} from {self.url}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"{self.url} unreachable: {reason}") from None
        if not 200 <= status < 300:
            raise DeliveryFailed(f"HTTP {status} from {self.url}")


class EmailChannel:
    """Sends each e-mail outbox message over SMTP (stdlib smtplib); accepted means delivered.

    A refusal (a 4xx or 5xx answer, a lost connection) is a failed attempt, retried with
    back-off through the outbox like a webhook's. One connection per message: reminders are few.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        tls: str = "starttls",
        username: str = "",
        password: str = "",
        timeout_s: float = 10,
    ) -> None:
        if tls not in {"starttls", "ssl", "none"}:
            raise ValueError(f"tls must be starttls, ssl or none, got {tls!r}")
        self.host = host
        self.port = port
        self.sender = sender
        self.tls = tls
        self.username = username
        self.password = password
        self.timeout_s = timeout_s

    def send(self, message: Notification) -> None:
        from starcert.reminder_email import reminder_email

        try:
            mail = reminder_email(
                message.kind,
                message.payload,
                sender=self.sender,
                reference=idempotency_key(message),
            )
        except (KeyError, ValueError) as exc:
            raise DeliveryFailed(f"cannot write the e-mail: {exc}") from None
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            said = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            raise DeliveryFailed(f"SMTP {exc.smtp_code} from {self.host}: {said}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"{self.host} refused {', '.join(exc.recipients)}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"{self.host}:{self.port} unreachable: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout_s, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout_s)
        if self.tls == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp


def deliverers_for(
    config: Config, uow_factory: Callable[[], UnitOfWork], clock: ShiftableClock, worker: str
) -> Deliverers | None:
    """A deliverer per configured channel (webhook, e-mail), or None when neither is set.

    Both retry through the same outbox with the [notifications] attempts and back-off.
    """
    from starcert.daemon import WallClock

    notes, smtp = config.notifications, config.email
    channels: list[tuple[str, WebhookChannel | EmailChannel, float]] = []
    if notes.webhook_url:
        webhook = WebhookChannel(
            notes.webhook_url,
            notes.timeout_seconds,
            secret=notes.webhook_secret.encode("utf-8"),
            clock=WallClock(clock),  # the receiver checks the stamp against real time
        )
        channels.append(("webhook", webhook, notes.timeout_seconds))
    if smtp.smtp_host:
        email = EmailChannel(
            host=smtp.smtp_host,
            port=smtp.smtp_port,
            sender=smtp.from_address,
            tls=smtp.tls,
            username=smtp.username,
            password=smtp.password,
            timeout_s=smtp.timeout_seconds,
        )
        channels.append(("email", email, smtp.timeout_seconds))
    if not channels:
        return None
    return Deliverers(
        [
            Deliverer(
                uow_factory=uow_factory,
                channel=channel,
                clock=clock,
                worker=worker,
                lease=timedelta(seconds=timeout + 5),  # outlives one send
                max_attempts=notes.max_attempts,
                backoff=timedelta(seconds=notes.backoff_seconds),
                only=name,
            )
            for name, channel, timeout in channels
        ]
    )

"""The webhook channel: POSTs each outbox message as JSON (workflows.outbox_delivery delivers).

The deliverer marks a message delivered only after a 2xx answer; a repeat carries the same
`Idempotency-Key` header (`starcert-notification-<id>`), so the receiver can drop it. With a
secret, each delivery is signed afresh (starcert.webhook_signature): a retry carries the time it
was sent, not the time of the first try.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from starcert.webhook_signature import signed_headers
from workflows.outbox_delivery import DeliveryFailed, idempotency_key, message_body
from workflows.ports import Clock, Notification


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

"""Signing webhook deliveries, as payment and code-hosting webhooks do.

The signature is HMAC-SHA256 under the shared `[notifications] webhook_secret` over
`<timestamp>.<body>` (the timestamp as sent in `X-Starcert-Timestamp`, Unix seconds, then a dot,
then the raw body bytes), sent as `X-Starcert-Signature: sha256=<hex>`. Signing the timestamp
with the body lets a receiver refuse a replayed old delivery; docs/operations.md shows the check.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Starcert-Timestamp"
SIGNATURE_HEADER = "X-Starcert-Signature"
TOLERANCE_SECONDS = 300
"""How far a receiver should let the timestamp be from its own clock (either way)."""


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The `X-Starcert-Signature` value for this timestamp and body."""
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(secret: bytes, unix_seconds: int, body: bytes) -> dict[str, str]:
    timestamp = str(unix_seconds)
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}

"""Token buckets shared by every process on one database: a client may burst, then gets `rate`
requests a second, however many servers it spreads them over.

`take` is one atomic step (refill by the time passed, then spend a token if there is one), so two
processes never spend the same token. Time is passed in (the App's clock), so tests move it.
SQL: storage.sql.sql_rate_limits (one upsert); memory: storage.memory.memory_rate_limits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class RateLimits(Protocol):
    def take(self, key: str, rate: float, burst: int, at: datetime) -> float:
        """0 when `key` may go ahead at `at` (a token is spent), else seconds until it may."""
        ...

    def forget_full(self, rate: float, burst: int, at: datetime) -> int:
        """Delete buckets that have refilled by `at` (a forgotten key starts full anyway)."""
        ...

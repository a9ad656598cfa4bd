"""The /verify limit: per-client token buckets kept by the database, so every server process on
it shares one limit (storage.rate_limits); a client may burst, then gets `rate` lookups a second.

The time is the App's clock, so tests move it. Buckets that have refilled are deleted now and then
(a deleted client starts full anyway), so the table holds only clients seen lately.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime, timedelta

from storage.rate_limits import RateLimits
from workflows.ports import Clock

SWEEP_EVERY = timedelta(minutes=5)


class ClientLimit:
    def __init__(
        self, store: RateLimits, rate: float, burst: int, clock: Clock, scope: str = "verify"
    ) -> None:
        self.store = store
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._scope = scope
        self._swept: datetime | None = None
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when `client` may go ahead now (a token is spent), else seconds until it may."""
        at = self._clock.now()
        with self._lock:
            sweep = self._swept is None or not timedelta(0) <= at - self._swept < SWEEP_EVERY
            if sweep:
                self._swept = at
        if sweep:
            self.store.forget_full(self.rate, self.burst, at)
        return self.store.take(f"{self._scope}:{client}", self.rate, self.burst, at)


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))

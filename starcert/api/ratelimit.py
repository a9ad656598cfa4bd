"""The /verify limit: per-client token buckets kept by the database, so every server process on
it shares one limit (storage.rate_limits), or by Redis when configured; a client may burst, then gets `rate` lookups a second.

The time is the App's clock, so tests move it. Buckets that have refilled are deleted now and then
(a deleted client starts full anyway), so the table holds only clients seen lately.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from starcert.api.settings import ApiSettings
from storage.rate_limits import RateLimits
from workflows.ports import Clock

if TYPE_CHECKING:
    from starcert.app import App

SWEEP_EVERY = timedelta(minutes=5)


class ClientLimit:
    def __init__(
        self,
        store: RateLimits,
        rate: float,
        burst: int,
        clock: Clock,
        scope: str = "verify",
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._scope = scope
        self._swept: datetime | None = None
        self._lock = threading.Lock()
        self._on_close = on_close

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

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()


def verify_limit(application: App, settings: ApiSettings) -> ClientLimit:
    """The /verify limit on the database's buckets, or on Redis's when [api] redis_url says."""
    config = application.config.api
    store: RateLimits = application.database.rate_limits
    on_close = None
    if config.redis_url:
        from storage.redis_rate_limits import RedisRateLimits

        redis = RedisRateLimits(config.redis_url, config.redis_key_prefix)
        store, on_close = redis, redis.close
    return ClientLimit(
        store,
        settings.verify_rate_per_second,
        settings.verify_burst,
        application.clock,
        on_close=on_close,
    )


def retry_after(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))

"""Token buckets in memory, lock-protected, for one process (the memory database's).

The table of buckets is bounded: full buckets are forgotten first, since a forgotten client
starts full anyway, then the oldest half if everyone is busy.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    at: float


class MemoryRateLimits:
    def __init__(self, max_keys: int = 10_000) -> None:
        self._max_keys = max_keys
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: float, burst: int, at: datetime) -> float:
        now = at.timestamp()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= self._max_keys:
                    self._forget(rate, burst, now)
                bucket = self._buckets[key] = _Bucket(float(burst), now)
            bucket.tokens = min(burst, bucket.tokens + max(0.0, now - bucket.at) * rate)
            bucket.at = max(bucket.at, now)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / rate

    def forget_full(self, rate: float, burst: int, at: datetime) -> int:
        with self._lock:
            before = len(self._buckets)
            self._forget(rate, burst, at.timestamp())
            return before - len(self._buckets)

    def __len__(self) -> int:
        return len(self._buckets)

    def _forget(self, rate: float, burst: int, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.at) * rate >= burst:
                del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            oldest = sorted(self._buckets.items(), key=lambda kv: kv[1].at)
            for key, _ in oldest[: len(oldest) // 2]:
                del self._buckets[key]

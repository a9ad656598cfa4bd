"""Token buckets in Redis ([api] redis_url): servers share the /verify limit without writing to
the database on every lookup, or share it across databases.

Each take is one Lua script, atomic in Redis: refill by the time passed (the App's clock, passed
in, never backwards), spend a token if a whole one is there. A bucket's key expires once it would
be full again, by Redis's clock, so Redis forgets idle clients by itself. The client library is
imported only when Redis is configured.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflows.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from redis import Redis

TAKE = """
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(held[1]), tonumber(held[2])
if tokens == nil or at == nil then tokens, at = burst, now end
if now > at then tokens, at = math.min(burst, tokens + (now - at) * rate), now end
local granted = 0
if tokens >= 1 then tokens, granted = tokens - 1, 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {granted, tostring(tokens)}
"""


class RedisRateLimits:
    def __init__(self, url: str, prefix: str) -> None:
        from redis import Redis

        self.url = re.sub(r"//[^@/]*@", "//***@", url)  # shown in errors without a password
        self.prefix = prefix
        self._redis: Redis = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self._take: Any = self._redis.register_script(TAKE)

    def take(self, key: str, rate: float, burst: int, at: datetime) -> float:
        from redis import RedisError

        try:
            granted, tokens = self._take(
                keys=[self.prefix + key], args=[rate, burst, at.timestamp()]
            )
        except RedisError as exc:
            raise DatabaseUnavailable(f"the rate-limit store {self.url} failed: {exc}") from exc
        return 0.0 if int(granted) else (1 - float(tokens)) / rate

    def forget_full(self, rate: float, burst: int, at: datetime) -> int:
        return 0  # each key expires once it would be full: Redis forgets it by itself

    def close(self) -> None:
        self._redis.close()

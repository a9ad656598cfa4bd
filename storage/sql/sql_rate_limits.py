"""Token buckets in `rate_limit_buckets`: each take is one upsert, atomic on SQLite and PostgreSQL.

The upsert refills the bucket by the time passed since it was last counted (never below what it
held, should a clock step back), spends a token if a whole one is there, and returns what is
left and whether it got one: no read-then-write, so processes never spend the same token twice.
"""

from __future__ import annotations

from datetime import datetime
from importlib import import_module
from typing import Any

from sqlalchemy import ColumnElement, case, delete, literal
from sqlalchemy.engine import Engine

from storage.sql.sql_errors import translated
from storage.sql.statements import table
from storage.sql.tables import RateLimitBucketRow

BUCKETS = table(RateLimitBucketRow)


class SqlRateLimits:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # The engine's own dialect's upsert: importing both would load PostgreSQL's dialect and
        # drivers into every SQLite process.
        dialect = "postgresql" if engine.dialect.name == "postgresql" else "sqlite"
        self._insert: Any = import_module(f"sqlalchemy.dialects.{dialect}").insert

    def take(self, key: str, rate: float, burst: int, at: datetime) -> float:
        now = at.timestamp()
        b = BUCKETS.c
        refilled = _refilled(now, rate, burst)
        upsert = (
            self._insert(BUCKETS)
            .values(key=key, tokens=float(burst - 1), at=now, granted=True)
            .on_conflict_do_update(
                index_elements=[b.key],
                set_={
                    "tokens": case((refilled >= 1, refilled - 1), else_=refilled),
                    "at": case((b.at < now, literal(now)), else_=b.at),
                    "granted": refilled >= 1,
                },
            )
            .returning(b.tokens, b.granted)
        )
        with translated(), self.engine.begin() as conn:
            tokens, granted = conn.execute(upsert).one()
        return 0.0 if granted else (1 - float(tokens)) / rate

    def forget_full(self, rate: float, burst: int, at: datetime) -> int:
        full = delete(BUCKETS).where(_refilled(at.timestamp(), rate, burst) >= burst)
        with translated(), self.engine.begin() as conn:
            return conn.execute(full).rowcount


def _refilled(now: float, rate: float, burst: int) -> ColumnElement[float]:
    """The bucket's tokens at `now`: what it held plus `rate` a second since, at most `burst`."""
    b = BUCKETS.c
    grown = b.tokens + case((b.at < now, literal(now) - b.at), else_=0.0) * rate
    return case((grown > burst, float(burst)), else_=grown)

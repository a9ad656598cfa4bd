"""The wall clock: the one place starcert reads the real time.

`ShiftedClock` is the wall clock moved to start at another instant (`starcert serve
--clock-start`): it runs at real speed, so a daemon can be started "400 days later" in a test or a
rehearsal, and the scheduler's real wake-ups map to and from its instants by a fixed offset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def to_wall(self, instant: datetime) -> datetime:
        """The real instant at which this clock reads `instant`."""
        return instant


class ShiftedClock:
    """Reads `start` at the moment it is created, then advances with the wall clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the clock start needs a time zone (e.g. 2026-03-01T00:00:00+00:00)")
        self.offset: timedelta = start.astimezone(UTC) - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def to_wall(self, instant: datetime) -> datetime:
        return instant - self.offset


def clock_starting(start: datetime | None) -> SystemClock | ShiftedClock:
    """The real time, or a clock that reads `start` now ($STARCERT_CLOCK_START, --clock-start)."""
    return SystemClock() if start is None else ShiftedClock(start)

"""Doubling back-off with a ceiling, shared by incident retries and notification delivery."""

from __future__ import annotations

from datetime import timedelta


def doubling(base: timedelta, attempts: int, ceiling: timedelta) -> timedelta:
    """`base` after the first failed attempt, twice that after the second, ... at most `ceiling`."""
    factor: int = 2 ** min(max(attempts, 1) - 1, 16)
    return min(base * factor, ceiling)

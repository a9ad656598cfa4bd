"""What both backends work out alike for the public query: the key searched, and what dates a
certificate's status (the event that put it there, from its trail)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any


def one_key(number: str | None, holder: str | None, credit_code: str | None) -> tuple[str, str]:
    """(which key, its value) of a public search, which takes exactly one."""
    given = [
        (k, v)
        for k, v in (("number", number), ("holder", holder), ("credit_code", credit_code))
        if v is not None
    ]
    if len(given) != 1:
        raise ValueError(f"search by exactly one of number, holder, credit_code; got {len(given)}")
    return given[0]


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def status_entry(
    trail: Iterable[tuple[str, datetime, Mapping[str, Any] | None]], state: str
) -> tuple[datetime | None, date | None]:
    """When the newest event into `state` was written, and the day it took effect if it says.

    `trail` is one case's state-changing events (to_state, at, data) in sequence order. A fired
    deadline records its due day; what it triggers takes effect the day after, however late
    it fired (workflows.handlers.deadline_firing).
    """
    entered: tuple[datetime | None, date | None] = (None, None)
    for to_state, at, data in trail:
        if to_state != state:
            continue
        deadline = (data or {}).get("deadline")
        due_on = deadline.get("due_on") if isinstance(deadline, Mapping) else None
        effective = date.fromisoformat(due_on) + timedelta(days=1) if due_on else None
        entered = (at, effective)
    return entered

"""Input checks every backend makes before it writes: bad input fails alike and changes nothing."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from workflows.errors import InvalidInput

E = TypeVar("E", bound=StrEnum)


def new_row(row_id: int | None, what: str) -> None:
    if row_id is not None:
        raise InvalidInput(f"{what}.id", f"must be None for a new {what} (got {row_id})")


def text(value: str, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, "must be a non-empty text")
    return value


def member(value: E, kind: type[E], field: str) -> E:
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InvalidInput(field, f"{value!r} is not one of {allowed}") from None


def page(limit: int | None, offset: int) -> None:
    if limit is not None and limit < 0:
        raise InvalidInput("limit", f"must be 0 or more (got {limit})")
    if offset < 0:
        raise InvalidInput("offset", f"must be 0 or more (got {offset})")


def batch(limit: int) -> None:
    if limit < 0:
        raise InvalidInput("limit", f"must be 0 or more (got {limit})")

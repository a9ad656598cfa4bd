"""How domain values are written down, shared by every backend so they all round-trip alike.

Instants are stored in UTC and always come back timezone-aware in UTC (SQLite hands back naive
values). Decimals are stored as their exact text, never as floats. A score sheet is a JSON document
with a `format` number; event data is plain JSON. Bad values raise InvalidInput naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from workflows.errors import InvalidInput
from workflows.model import IndicatorResult, Sampled, ScoreSheet

SHEET_FORMAT = 1
"""Version of the score-sheet JSON document; bump it and add a reader when the shape changes."""


def utc(value: datetime, field: str) -> datetime:
    """`value` as an aware UTC instant; a naive datetime is refused (its zone is unknown)."""
    if value.__class__ is datetime and value.tzinfo is UTC:
        return value  # already one (the usual case): nothing to check or convert
    if not isinstance(value, datetime):
        raise InvalidInput(field, f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, f"{value.isoformat()} has no timezone; pass an aware instant")
    return value.astimezone(UTC)


def utc_or_none(value: datetime | None, field: str) -> datetime | None:
    return None if value is None else utc(value, field)


def from_stored(value: datetime) -> datetime:
    """A stored instant as aware UTC: naive values (SQLite) were written in UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def from_stored_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else from_stored(value)


def decimal_text(value: Decimal | None, field: str) -> str | None:
    """The exact text of a finite Decimal (None stays None)."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(field, f"expected a finite Decimal, got {value!r}")
    return str(value)


def decimal_from_text(text: str | None, field: str = "decimal") -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidInput(field, f"stored value {text!r} is not a decimal") from None


def sheet_to_json(sheet: ScoreSheet) -> dict[str, Any]:
    """The versioned JSON document of a score sheet; indicator codes sorted for stable output."""
    results: dict[str, dict[str, Any]] = {}
    for code in sorted(sheet.results):
        result = sheet.results[code]
        if not isinstance(code, str) or not code:
            raise InvalidInput("sheet.results", f"indicator code {code!r} must be a non-empty text")
        results[code] = {
            "points": decimal_text(result.points, f"sheet.results.{code}.points"),
            "conforming": result.conforming,
            "sampled": result.sampled,
        }
        if result.items is not None:
            results[code]["items"] = {
                item: _item_json(found, f"sheet.results.{code}.items.{item}")
                for item, found in sorted(result.items.items())
            }
    return {
        "format": SHEET_FORMAT,
        "results": results,
        "excluded": sorted(sheet.excluded),
        "special_deductions": list(sheet.special_deductions),
        "special_bonus": sheet.special_bonus,
    }


def sheet_from_json(document: Mapping[str, Any]) -> ScoreSheet:
    version = document.get("format")
    if version != SHEET_FORMAT:
        raise InvalidInput("audits.sheet", f"unknown score sheet format {version!r}")
    return ScoreSheet(
        results={
            code: IndicatorResult(
                points=decimal_from_text(r["points"], f"sheet.results.{code}.points"),
                conforming=r["conforming"],
                sampled=r["sampled"],
                items=(
                    {
                        item: _item_from_json(found, f"sheet.results.{code}.items.{item}")
                        for item, found in r["items"].items()
                    }
                    if r.get("items") is not None
                    else None
                ),
            )
            for code, r in document["results"].items()
        },
        excluded=frozenset(document["excluded"]),
        special_deductions=tuple(document["special_deductions"]),
        special_bonus=document["special_bonus"],
    )


def sheet_plain(document: Mapping[str, Any]) -> dict[str, Any]:
    """A stored sheet as plain data, no domain objects: each result {points: exact text},
    {conforming, sampled} or {items: {id: {points: text} or {conforming, sampled}}}, and the
    excluded, deductions and bonus as stored. For bulk reads that only compute on sheets."""
    version = document.get("format")
    if version != SHEET_FORMAT:
        raise InvalidInput("audits.sheet", f"unknown score sheet format {version!r}")
    results: dict[str, Any] = {}
    for code, r in document["results"].items():
        if r["points"] is not None:
            results[code] = {"points": r["points"]}
        elif r.get("items") is not None:
            results[code] = {
                "items": {
                    item: found if isinstance(found, Mapping) else {"points": found}
                    for item, found in r["items"].items()
                }
            }
        else:
            results[code] = {"conforming": r["conforming"], "sampled": r["sampled"]}
    return {
        "results": results,
        "excluded": list(document["excluded"]),
        "special_deductions": list(document["special_deductions"]),
        "special_bonus": document["special_bonus"],
    }


def _required_decimal(text: str, field: str) -> Decimal:
    value = decimal_from_text(text, field)
    if value is None:
        raise InvalidInput(field, "stored item points are missing")
    return value


_SCALARS = (str, int, bool, type(None))


def plain_json(data: Mapping[str, Any], field: str) -> dict[str, Any]:
    """`data` as it will read back from storage (tuples become lists), or InvalidInput."""
    copied = _plain_copy(data)
    if copied is not None:
        return copied
    try:
        text = json.dumps(dict(data), sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(field, f"must be plain JSON: {exc}") from None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _plain_copy(data: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the JSON round trip gives for text keys over text, int, bool, null, and dicts and
    lists of those (keys sorted, tuples as lists), built without encoding; None for anything
    else (floats, other types), which takes the round trip. A firing's data nests a dict."""
    if data and set(map(type, data)) != _TEXT:  # every key a str, asked in C
        return None
    found: dict[str, Any] = {}
    for k, v in sorted(data.items()):
        if type(v) not in _SCALARS:  # most values are: taken as they are, with no call
            v = _plain_value(v)
            if v is _NOT_PLAIN:
                return None
        found[k] = v
    return found


_TEXT = {str}


_NOT_PLAIN = object()


def _plain_value(value: Any) -> Any:
    """`value` as the round trip reads it back, or _NOT_PLAIN when only the round trip knows."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is dict:
        copied = _plain_copy(value)
        return _NOT_PLAIN if copied is None else copied
    if kind is list or kind is tuple:
        items = [_plain_value(v) for v in value]
        return _NOT_PLAIN if any(v is _NOT_PLAIN for v in items) else items
    return _NOT_PLAIN


def _item_json(found: Decimal | Sampled, field: str) -> Any:
    """An item's points as exact text, or its sample as {conforming, sampled}."""
    if isinstance(found, Sampled):
        return {"conforming": found.conforming, "sampled": found.sampled}
    return decimal_text(found, field)


def _item_from_json(found: Any, field: str) -> Decimal | Sampled:
    if isinstance(found, Mapping):
        return Sampled(int(found["conforming"]), int(found["sampled"]))
    return _required_decimal(found, field)

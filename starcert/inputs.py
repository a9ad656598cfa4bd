"""Operator input files, score sheets and prerequisite facts, parsed into domain values.

One layout each, whoever reads them: a facts file serves `apply` and `rules explain`, a score
sheet `audit record`, `rules explain` and the API (whose body carries the same mapping). Every
error names the file, the line and the field path, e.g.
`sheet.yaml:4: results.repair.points: not a number`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from engine.source import DuplicateJsonKey, data_yaml, load_json, yaml_problem
from workflows.errors import InvalidInput
from workflows.model import IndicatorResult, PrerequisiteFacts, Sampled, ScoreSheet
from workflows.why import why

_BOOL_FACTS = (
    "has_service_documents",
    "has_dedicated_manager",
    "has_dedicated_funds",
    "has_trained_staff",
    "is_prc_legal_entity",
)


def read_document(path: Path) -> Any:
    """JSON or YAML (YAML is a superset; JSON files get JSON's stricter errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(str(path), f"cannot read: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InvalidInput(str(path), f"not UTF-8 text: {exc.reason}") from exc
    try:
        if path.suffix.lower() == ".json":
            return load_json(text)
        return data_yaml().load(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"{path}:{exc.lineno}", f"malformed JSON: {exc.msg}") from exc
    except DuplicateJsonKey as exc:
        where = str(path) if exc.line is None else f"{path}:{exc.line}"
        raise InvalidInput(where, f"{exc}: each field may be given once") from exc
    except (YAMLError, ValueError, RecursionError) as exc:  # ValueError: a date the calendar lacks
        line, message = yaml_problem(exc, text)
        raise InvalidInput(str(path) if line is None else f"{path}:{line}", message) from exc


def read_facts(path: Path, *, besides: Collection[str] = ()) -> PrerequisiteFacts:
    """The prerequisite facts of a facts file, less the fields `besides` (a caller's own);
    errors name file:line and the fact."""
    with _lines_named(path):
        data = read_document(path)
        if besides and isinstance(data, Mapping):
            data = {k: v for k, v in data.items() if k not in besides}
        return parse_facts(data, str(path))


def read_sheet(path: Path) -> ScoreSheet:
    """A score sheet file; errors name file:line and the field."""
    with _lines_named(path):
        return parse_sheet(read_document(path), str(path))


def sheet_problem(path: Path, field: str, message: str) -> InvalidInput:
    """What the rules found wrong in the sheet file at `path` (`field`: its path in the sheet,
    e.g. results.repair.points), named by file:line."""
    return InvalidInput(f"{_where(path, field)}: {field}", message)


@contextmanager
def _lines_named(path: Path) -> Iterator[None]:
    """An InvalidInput about a field of the file at `path` gets the line of that field."""
    prefix = f"{path}: "
    try:
        yield
    except InvalidInput as exc:
        if not exc.field.startswith(prefix):
            raise
        field = exc.field.removeprefix(prefix)
        raise InvalidInput(f"{_where(path, field)}: {field}", exc.message) from None


def _where(path: Path, field: str) -> str:
    """`path:line` of the deepest key of the dotted `field` the file holds, else `path`."""
    try:
        node: Any = YAML(typ="rt", pure=True).load(path.read_text(encoding="utf-8"))
    except Exception:  # the file was read once already; a second read that fails names no line
        return str(path)
    line = None
    for key in field.split("."):
        if not isinstance(node, CommentedMap) or key not in node:
            break
        line = node.lc.key(key)[0] + 1
        node = node[key]
    return str(path) if line is None else f"{path}:{line}"


def parse_date(value: Any, field: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput(field, why("expected a date YYYY-MM-DD, got {value!r}", value=value))


def parse_facts(data: Any, source: str) -> PrerequisiteFacts:
    if not isinstance(data, Mapping):
        raise InvalidInput(source, "expected a mapping of prerequisite facts")
    unknown = sorted(set(data) - {*_BOOL_FACTS, "last_major_failure"})
    if unknown:
        raise InvalidInput(f"{source}: {unknown[0]}", "unknown fact")
    values: dict[str, Any] = {}
    missing = [name for name in _BOOL_FACTS if name not in data]
    if missing:
        raise InvalidInput(f"{source}: {', '.join(missing)}", "missing (true or false)")
    for name in _BOOL_FACTS:
        if not isinstance(data[name], bool):
            raise InvalidInput(f"{source}: {name}", f"expected true or false, got {data[name]!r}")
        values[name] = data[name]
    failure = data.get("last_major_failure")
    values["last_major_failure"] = (
        None if failure is None else parse_date(failure, f"{source}: last_major_failure")
    )
    return PrerequisiteFacts(**values)


def parse_sheet(data: Any, source: str, *, separator: str = ": ") -> ScoreSheet:
    """A score sheet from a file (fields "file.yaml: results.repair") or a request body
    (`separator="."`: fields "sheet.results.repair", the body's own path)."""
    if not isinstance(data, Mapping):
        raise InvalidInput(source, "expected a score sheet mapping with 'results'")
    unknown = sorted(set(data) - {"results", "excluded", "special_deductions", "special_bonus"})
    if unknown:
        raise InvalidInput(f"{source}{separator}{unknown[0]}", "unknown field")
    results = data.get("results")
    if not isinstance(results, Mapping) or not results:
        raise InvalidInput(
            f"{source}{separator}results", "expected a mapping of indicator → result"
        )
    parsed = {  # a blank (an unfilled template line) is left to the rules: unscored, named
        str(k): _indicator(v, f"{source}{separator}results.{k}")
        for k, v in results.items()
        if v is not None
    }
    excluded = data.get("excluded") or []
    if not isinstance(excluded, list) or not all(isinstance(x, str) for x in excluded):
        raise InvalidInput(f"{source}{separator}excluded", "expected a list of indicator ids")
    deductions = data.get("special_deductions") or []
    if not isinstance(deductions, list) or not all(isinstance(x, str) and x for x in deductions):
        raise InvalidInput(
            f"{source}{separator}special_deductions", "expected a list of reasons (text)"
        )
    bonus = data.get("special_bonus")
    if bonus is not None and not (isinstance(bonus, str) and bonus):
        raise InvalidInput(f"{source}{separator}special_bonus", "expected a reason (text) or null")
    return ScoreSheet(
        results=parsed,
        excluded=frozenset(excluded),
        special_deductions=tuple(deductions),
        special_bonus=bonus,
    )


def _indicator(value: Any, field: str) -> IndicatorResult:
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return IndicatorResult(points=_decimal(value, field))
    if not isinstance(value, Mapping):
        raise InvalidInput(field, "expected points or {conforming, sampled}")
    if "points" in value:
        if set(value) != {"points"}:
            raise InvalidInput(field, "give either points or conforming/sampled, not both")
        return IndicatorResult(points=_decimal(value["points"], f"{field}.points"))
    if "items" in value:
        items = value["items"]
        if set(value) != {"items"} or not isinstance(items, Mapping) or not items:
            raise InvalidInput(field, "expected {items: {item id: points, ...}} alone")
        return IndicatorResult(
            items={str(k): _item(v, f"{field}.items.{k}") for k, v in items.items()}
        )
    if set(value) != {"conforming", "sampled"}:
        raise InvalidInput(field, "expected points, {conforming, sampled} or {items: {...}}")
    sample = _sample(value, field)
    return IndicatorResult(conforming=sample.conforming, sampled=sample.sampled)


def _item(value: Any, field: str) -> Decimal | Sampled:
    """A third-level item: points (bare or {points}), or {conforming, sampled}."""
    if isinstance(value, Mapping):
        if set(value) == {"points"}:
            return _decimal(value["points"], f"{field}.points")
        if set(value) == {"conforming", "sampled"}:
            return _sample(value, field)
        raise InvalidInput(field, "expected points, {points} or {conforming, sampled}")
    return _decimal(value, field)


def _sample(value: Mapping[str, Any], field: str) -> Sampled:
    conforming, sampled = value["conforming"], value["sampled"]
    for name, number in (("conforming", conforming), ("sampled", sampled)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise InvalidInput(f"{field}.{name}", f"expected a whole number >= 0, got {number!r}")
    if sampled == 0 or conforming > sampled:
        raise InvalidInput(
            field, f"need 0 <= conforming <= sampled and sampled > 0, got {conforming}/{sampled}"
        )
    return Sampled(conforming, sampled)


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput(field, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise InvalidInput(field, f"expected a number, got {value!r}") from exc
    if not number.is_finite():
        raise InvalidInput(field, f"expected a finite number, got {value!r}")
    return number

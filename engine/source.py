"""Where things are in a rule file: line numbers of YAML nodes and the list of problems found.

Validation never stops at the first problem: every check reports here and the loader raises once.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import YAMLError

from engine.alias_budget import BudgetedComposer, TooManyAliases
from engine.rule_errors import Problem

_DATE_LIKE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.:-])")
_DUPLICATE = re.compile(r'found duplicate key "(.*?)" with value ')
TOO_DEEP = "malformed: lists or mappings nested too deeply to read"


def yaml_problem(exc: Exception, text: str) -> tuple[int | None, str]:
    """(1-based line, one-line message) for a YAML document ruamel refused while loading `text`.

    ruamel's own messages run over several lines (and a duplicate key adds a link on how to
    silence the check); an author wants the line and what is wrong with it.
    """
    if isinstance(exc, RecursionError):  # the parsers recurse once per level of nesting
        return None, TOO_DEEP
    if isinstance(exc, TooManyAliases):
        return exc.line, f"{exc.message} ({exc.hint})"
    if not isinstance(exc, YAMLError):  # ValueError: a date the calendar lacks, read as a date
        found = impossible_date(text)
        where, what = found if found is not None else (None, "a value")
        return where, f"{what} is not a calendar date ({exc})"
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = str(getattr(exc, "problem", None) or exc).strip()
    if isinstance(exc, DuplicateKeyError):
        key = _DUPLICATE.match(problem)
        return line, f"duplicate key {key.group(1)!r}" if key else "duplicate key"
    message = f"malformed YAML: {problem.splitlines()[0] if problem else 'unreadable'}"
    # An unclosed {...}, [...] or quote is found lines later: say where it began.
    context, begun = getattr(exc, "context", None) or "", getattr(exc, "context_mark", None)
    if begun is not None and ("flow" in context or "quoted" in context) and begun.line + 1 != line:
        what = context.split(" a ", 1)[-1]  # "while parsing a flow mapping"
        message += f" (in the {what} begun on line {begun.line + 1})"
    return line, message


@dataclass(frozen=True)
class NotADate:
    """A value written as a date the calendar lacks (2025-02-30), kept where it was written.

    YAML fails the whole document on such a date, so one slip hid every other problem of a rule
    file; read as this, it is refused where it stands, with its line, beside all the others.
    """

    text: str
    reason: str

    def __repr__(self) -> str:
        return f"{self.text}, which is not a calendar date ({self.reason})"


class _TolerantDates(RoundTripConstructor):
    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            return NotADate(str(node.value), str(exc))


_TolerantDates.add_constructor(
    "tag:yaml.org,2002:timestamp", _TolerantDates.construct_yaml_timestamp
)


def rule_yaml() -> YAML:
    """A round-trip reader (line numbers kept) that reads an impossible date as a NotADate and
    refuses aliases past their budget (engine.alias_budget)."""
    yaml = YAML(typ="rt", pure=True)
    yaml.Constructor = _TolerantDates
    yaml.Composer = BudgetedComposer
    return yaml


def data_yaml() -> YAML:
    """A plain-data reader (facts and score sheets) that refuses aliases past their budget."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Composer = BudgetedComposer
    return yaml


class DuplicateJsonKey(ValueError):
    """A JSON object that gives one key twice: which key, and on which line (1-based)."""

    def __init__(self, key: str, line: int | None) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key
        self.line = line


def load_json(text: str) -> Any:
    """JSON whose objects give each key once; json.JSONDecodeError for malformed text.

    Python keeps the last of two values for one key without a word; in a score sheet or a facts
    file that silently drops what an auditor wrote, so a repeated key is refused (DuplicateJsonKey).
    """

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key in found:
                raise DuplicateJsonKey(key, _line_of_repeat(text, key))
            found[key] = value
        return found

    return json.loads(text, object_pairs_hook=unique)


def _line_of_repeat(text: str, key: str) -> int | None:
    """The line of the repeated key: ruamel reads JSON as YAML and knows where a duplicate is."""
    try:
        YAML(typ="rt", pure=True).load(text)
    except DuplicateKeyError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None if mark is None else int(mark.line) + 1
    except (YAMLError, ValueError):
        return None
    return None


def impossible_date(text: str) -> tuple[int, str] | None:
    """(1-based line, the text) of the first YAML date the calendar lacks (2025-02-30).

    YAML reads such a value as a date and fails with no line to point at; this finds it.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE_LIKE.finditer(line.split("#", 1)[0]):
            year, month, day = (int(g) for g in match.groups())
            try:
                date(year, month, day)
            except ValueError:
                return number, match.group(0)
    return None


def line_of(node: Any, key: Any = None) -> int | None:
    """1-based line of a mapping (or of one of its keys, or of a sequence item) when known."""
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is None:
            return int(lc.line) + 1
        if isinstance(key, int) and isinstance(node, list):
            return int(lc.item(key)[0]) + 1
        return int(lc.key(key)[0]) + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return int(lc.line) + 1


def closest(word: str, choices: Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    close = closest(word, choices)
    return f"did you mean {close!r}?" if close else None


@dataclass
class Reporter:
    file: str
    problems: list[Problem] = field(default_factory=list)

    def report(self, line: int | None, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, message, hint))

    def unknown(self, line: int | None, what: str, name: str, choices: Iterable[str]) -> None:
        choices = list(choices)
        hint = did_you_mean(name, choices) or "known: " + ", ".join(sorted(choices))
        self.report(line, f"unknown {what} {name!r}", hint)

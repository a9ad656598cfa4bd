"""The rule file's example cases, read and checked in form; engine.examples runs them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from engine.node_reader import NodeReader, kind_of, plain
from engine.ruleset import Example
from engine.source import line_of
from engine.vocabulary import Check

EXPECT_KEYS = (
    "outcome",
    "eligible",
    "certified",
    "band",
    "final_score",
    "normalised_score",
    "failures",
    "notes",
    "fail_reasons",
    "earliest_application",
)


def read_examples(
    reader: NodeReader, node: Any, line: int | None, effective: Any
) -> tuple[Example, ...]:
    items = reader.seq(node, "examples", line)
    if items is None:
        return ()
    examples: list[Example] = []
    names: set[str] = set()
    for i, raw in enumerate(items):
        item = reader.mapping(raw, "an example", line_of(items, i))
        if item is None or not reader.keys(
            item, "an example", ("name", "facts", "expect"), ("as_of", "checks")
        ):
            continue
        name = reader.text(item, "name", "example")
        if name in names:
            reader.r.report(line_of(item, "name"), f"example name {name!r} is used twice")
        facts = reader.mapping(item["facts"], "example facts", line_of(item, "facts"))
        expect = reader.mapping(item["expect"], "example expect", line_of(item, "expect"))
        if expect is not None:
            reader.keys(expect, "example expect", (), EXPECT_KEYS)
        as_of = item.get("as_of", effective)
        if not isinstance(as_of, date) or isinstance(as_of, datetime):
            if "as_of" in item:  # else effective_from is wrong, and said so once
                reader.r.report(
                    line_of(item, "as_of"), f"as_of must be a date, got {kind_of(as_of)}"
                )
            continue
        checks = _checks(reader, item)
        if name is None or facts is None or expect is None or checks is False:
            continue
        names.add(name)
        example = Example(
            name,
            line_of(item),
            plain(facts),
            as_of,
            checks,  # type: ignore[arg-type]
            plain(expect),
        )
        examples.append(example)
    return tuple(examples)


def _checks(reader: NodeReader, item: Mapping[str, Any]) -> tuple[Check, ...] | bool | None:
    if "checks" not in item:
        return None
    raw = item["checks"]
    choices = [c.value for c in Check]
    if not isinstance(raw, list) or not raw:
        reader.r.report(line_of(item, "checks"), f"checks must be a list of {choices}")
        return False
    for value in raw:
        if value not in choices:
            reader.r.unknown(line_of(item, "checks"), "check", str(value), choices)
            return False
    return tuple(Check(v) for v in raw)

"""The rule file's `findings` section: the correction periods of audit findings, in days.

Optional: a file without it (every version published before findings were recorded) gets the
shipped file's numbers, `DEFAULT_CORRECTIONS`. The periods are the body's own choice; the rule
file says so beside them.
"""

from __future__ import annotations

from typing import Any

from engine.node_reader import MISSING, NodeReader
from engine.ruleset import CORRECTION_KEYS, DEFAULT_CORRECTIONS, CorrectionDays
from engine.source import line_of

MAX_DAYS = 365
"""Longest correction period a rule file may give: a finding open for longer than a year
outlasts the surveillance cycle it was raised in."""


def read_findings(reader: NodeReader, node: Any, line: int | None) -> CorrectionDays | None:
    if node is MISSING:
        return DEFAULT_CORRECTIONS
    item = reader.mapping(node, "findings", line)
    if item is None or not reader.keys(item, "findings", CORRECTION_KEYS):
        return None
    values: dict[str, int] = {}
    for key in CORRECTION_KEYS:
        value = item.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_DAYS:
            reader.r.report(
                line_of(item, key),
                f"findings.{key} must be a whole number of days from 1 to {MAX_DAYS}, got "
                f"{value!r}",
            )
            continue
        values[key] = value
    if len(values) != len(CORRECTION_KEYS):
        return None
    return CorrectionDays(**values)

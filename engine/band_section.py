"""The rule file's bands: each band's bounds, that together they cover the scores without gaps or
overlaps, and the band rules they compile to."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.conditions import AllOf, AnyOf, Compare, Condition, decimal_of
from engine.node_reader import NodeReader, kind_of
from engine.outcomes import RuleKind
from engine.ruleset import BAND_NAMES, Band, Rule
from engine.source import line_of
from engine.vocabulary import Check, FactType

_Found = list[tuple[Band, int | None]]


def read_bands(
    reader: NodeReader, node: Any, line: int | None
) -> tuple[tuple[Band, ...], list[Rule]]:
    items = reader.seq(node, "bands", line)
    if items is None:
        return (), []
    found: _Found = []
    for i, raw in enumerate(items):
        band = _band(reader, raw, line_of(items, i), found)
        if band is not None:
            found.append(band)
    if not found:
        if not reader.r.problems:
            reader.r.report(line, "bands must list at least one band")
        return (), []
    if len(found) < len(items):
        # With a band refused above, gaps, the open top and the order would blame the others.
        return (), []
    found.sort(key=lambda pair: pair[0].lower)
    for (low, low_line), (high, _) in itertools.pairwise(found):
        if low.upper is None:
            reader.r.report(
                low_line,
                f"band {low.name} has no upper bound (below) but "
                f"{high.name} starts above it at {high.lower}",
                "bands overlap",
            )
        elif low.upper < high.lower:
            reader.r.report(
                low_line,
                f"gap between bands: {low.name} ends below {low.upper} "
                f"but {high.name} starts at {high.lower}",
                f"set below: {high.lower}",
            )
        elif low.upper > high.lower:
            reader.r.report(
                low_line,
                f"bands overlap: {low.name} runs below {low.upper} "
                f"but {high.name} starts at {high.lower}",
                f"set below: {high.lower}",
            )
    top, top_line = found[-1]
    if top.upper is not None:
        reader.r.report(
            top_line,
            f"the highest band {top.name} must be open-ended "
            f"(no 'below'), not end below {top.upper}",
            "scores up to 101 are possible with a bonus",
        )
    names = [b.name for b, _ in found]
    expected = [n for n in reversed(BAND_NAMES) if n in names]
    if names != expected:
        reader.r.report(
            line, f"bands out of order: {' < '.join(names)}", f"expected {' < '.join(expected)}"
        )
    bands = tuple(b for b, _ in reversed(found))
    return bands, _band_rules(bands, found)


def _band(
    reader: NodeReader, raw: Any, line: int | None, found: _Found
) -> tuple[Band, int | None] | None:
    item = reader.mapping(raw, "a band", line)
    if item is None or not reader.keys(item, "a band", ("band", "from"), ("below",)):
        return None
    name = item.get("band")
    if not isinstance(name, str) or name not in BAND_NAMES:
        reader.r.unknown(line_of(item, "band"), "band", str(name), BAND_NAMES)
        return None
    lower = _bound(reader, item, "from")
    upper = _bound(reader, item, "below") if item.get("below") is not None else None
    if lower is None or (item.get("below") is not None and upper is None):
        return None
    if upper is not None and upper <= lower:
        reader.r.report(line_of(item), f"band {name}: below ({upper}) must be above from ({lower})")
        return None
    if any(b.name == name for b, _ in found):
        reader.r.report(line_of(item, "band"), f"band {name!r} is given twice")
        return None
    return Band(name, lower, upper), line_of(item)


def _bound(reader: NodeReader, item: Mapping[str, Any], key: str) -> Decimal | None:
    number = decimal_of(item.get(key))
    if number is None or number.as_tuple().exponent < -6:  # type: ignore[operator]
        reader.r.report(
            line_of(item, key),
            f"band {key} must be a number with at most 6 decimals, got {kind_of(item.get(key))}",
        )
        return None
    return number


def _band_rules(bands: tuple[Band, ...], found: _Found) -> list[Rule]:
    lines = {b.name: line for b, line in found}
    rules: list[Rule] = []
    for band in bands:
        parts: list[Condition] = [Compare("final_score", "ge", band.lower, FactType.SCORE)]
        if band.upper is not None:
            parts.append(Compare("final_score", "lt", band.upper, FactType.SCORE))
        rules.append(
            Rule(
                f"band.{band.name}",
                RuleKind.BAND,
                band.name,
                f"final score in [{band.lower}, {band.upper or '∞'}): {band.name}",
                "award_band",
                AllOf(tuple(parts)),
                Check.SCORING,
                lines[band.name],
            )
        )
    lowest = bands[-1].lower
    rules.append(
        Rule(
            "band.none",
            RuleKind.BAND,
            "none",
            f"final score below {lowest}: no band",
            "award_band",
            AnyOf((Compare("final_score", "lt", lowest, FactType.SCORE),)),
            Check.SCORING,
            None,
        )
    )
    return rules

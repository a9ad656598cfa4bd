"""The rule file's scoring model: dimensions, indicators and their items, and that the points add up."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from engine.node_reader import NodeReader
from engine.ruleset import Dimension, Indicator, Item, ScoringModel
from engine.source import line_of

_Dimensions = dict[str, tuple[Dimension, int | None]]
_Indicators = dict[str, tuple[Indicator, int | None]]


def read_scoring(reader: NodeReader, node: Any, line: int | None) -> ScoringModel | None:
    item = reader.mapping(node, "scoring", line)
    if item is None or not reader.keys(
        item, "scoring", ("total", "allocation_note", "dimensions", "indicators")
    ):
        return None
    total = reader.points(item, "total", "scoring")
    note = reader.text(item, "allocation_note", "scoring")
    dimensions = _dimensions(reader, item.get("dimensions"), line_of(item, "dimensions"))
    read = _indicators(reader, item.get("indicators"), line_of(item, "indicators"), dimensions)
    if total is None or note is None or dimensions is None or read is None:
        return None
    indicators, indicators_complete = read
    dim_sum = sum((d.points for d, _ in dimensions.values()), Decimal(0))
    if dim_sum != total:
        parts = " + ".join(f"{d.points}" for d, _ in dimensions.values())
        reader.r.report(
            line_of(item, "dimensions"),
            f"dimension points add up to {dim_sum} ({parts}), not {total}",
        )
    # With an indicator refused above, its dimension's sum would blame the wrong numbers.
    for dim, dim_line in dimensions.values() if indicators_complete else ():
        inds = [ind for ind in indicators.values() if ind[0].dimension == dim.id]
        got = sum((ind.points for ind, _ in inds), Decimal(0))
        if not inds:
            reader.r.report(dim_line, f"dimension {dim.id!r} has no indicators")
        elif got != dim.points:
            reader.r.report(
                dim_line,
                f"indicators of dimension {dim.id!r} add up to {got}, not its {dim.points} points",
            )
    return ScoringModel(
        total=total,
        dimensions=tuple(d for d, _ in dimensions.values()),
        indicators=tuple(i for i, _ in indicators.values()),
        allocation_note=note,
        by_id={i.id: i for i, _ in indicators.values()},
    )


def _dimensions(reader: NodeReader, node: Any, line: int | None) -> _Dimensions | None:
    items = reader.seq(node, "scoring.dimensions", line)
    if items is None:
        return None
    found: _Dimensions = {}
    for i, raw in enumerate(items):
        item = reader.mapping(raw, "a dimension", line_of(items, i))
        if item is None or not reader.keys(item, "a dimension", ("id", "name", "points")):
            continue
        did = reader.ident(item, "id", "dimension")
        name = reader.text(item, "name", "dimension")
        points = reader.points(item, "points", "dimension")
        if did in found:
            reader.r.report(line_of(item, "id"), f"dimension id {did!r} is used twice")
        elif did is not None and name is not None and points is not None:
            found[did] = (Dimension(did, name, points), line_of(item))
    return found


def _indicators(
    reader: NodeReader, node: Any, line: int | None, dimensions: _Dimensions | None
) -> tuple[_Indicators, bool] | None:
    """The indicators read, and whether all of them were (none refused, none twice)."""
    items = reader.seq(node, "scoring.indicators", line)
    if items is None:
        return None
    found: _Indicators = {}
    for i, raw in enumerate(items):
        item = reader.mapping(raw, "an indicator", line_of(items, i))
        if item is None or not reader.keys(
            item, "an indicator", ("id", "name", "points"), ("dimension", "items")
        ):
            continue
        iid = reader.ident(item, "id", "indicator")
        name = reader.text(item, "name", "indicator")
        points = reader.points(item, "points", "indicator")
        dim = item.get("dimension")
        if dim is None:
            reader.r.report(
                line_of(item),
                f"indicator {iid!r} is outside any dimension",
                "give it dimension: <one of the dimension ids>",
            )
        elif dimensions is not None and dim not in dimensions:
            reader.r.unknown(
                line_of(item, "dimension"),
                f"dimension for indicator {iid!r}",
                str(dim),
                dimensions,
            )
            dim = None
        sub = _items(reader, item, iid, points)
        if iid in found:
            reader.r.report(line_of(item, "id"), f"indicator id {iid!r} is used twice")
        elif None not in (iid, name, points, dim, sub):
            found[str(iid)] = (
                Indicator(
                    str(iid),
                    str(name),
                    str(dim),
                    points,  # type: ignore[arg-type]
                    sub or (),
                ),
                line_of(item),
            )
    return found, len(found) == len(items)


def _items(
    reader: NodeReader, item: Mapping[str, Any], iid: str | None, points: Decimal | None
) -> tuple[Item, ...] | None:
    if "items" not in item:
        return ()
    raw_items = reader.seq(item["items"], f"items of {iid}", line_of(item, "items"))
    if raw_items is None:
        return None
    result: list[Item] = []
    for j, raw in enumerate(raw_items):
        sub = reader.mapping(raw, "an item", line_of(raw_items, j))
        if sub is None or not reader.keys(sub, "an item", ("id", "name", "points")):
            return None
        sid = reader.ident(sub, "id", "item")
        name = reader.text(sub, "name", "item")
        sub_points = reader.points(sub, "points", "item")
        if sid is None or name is None or sub_points is None:
            return None
        if any(x.id == sid for x in result):
            reader.r.report(line_of(sub, "id"), f"item id {sid!r} is used twice in {iid!r}")
            return None
        result.append(Item(sid, name, sub_points))
    got = sum((x.points for x in result), Decimal(0))
    if points is not None and got != points:
        reader.r.report(
            line_of(item, "items"),
            f"items of indicator {iid!r} add up to {got}, not its {points} points",
        )  # the indicator's own points still count towards its dimension's sum
    return tuple(result)

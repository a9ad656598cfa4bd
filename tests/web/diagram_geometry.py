"""What "no overlap" means for the lifecycle diagram, checked on its geometry: the drawing's own
(starcert.web.diagram.draw) or the one a browser rendered."""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]
Segment = tuple[Point, Point]
Rect = tuple[float, float, float, float]  # x, y, width, height


def _meets(a: Rect, b: Rect) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _crosses(segment: Segment, box: Rect) -> bool:
    """Whether an axis-parallel segment passes through the inside of `box`."""
    (x1, y1), (x2, y2) = segment
    left, right, top, bottom = box[0], box[0] + box[2], box[1], box[1] + box[3]
    if x1 == x2:
        return left < x1 < right and min(y1, y2) < bottom and top < max(y1, y2)
    if y1 == y2:
        return top < y1 < bottom and min(x1, x2) < right and left < max(x1, x2)
    raise AssertionError(f"a slanted segment {segment}: edges are drawn orthogonally")


def _overlap(a: Segment, b: Segment) -> bool:
    """Whether two axis-parallel segments run along each other for some length."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    if ax1 == ax2 == bx1 == bx2:
        return min(max(ay1, ay2), max(by1, by2)) - max(min(ay1, ay2), min(by1, by2)) > 0.5
    if ay1 == ay2 == by1 == by2:
        return min(max(ax1, ax2), max(bx1, bx2)) - max(min(ax1, ax2), min(bx1, bx2)) > 0.5
    return False


def overlaps(
    nodes: Sequence[Rect], edges: Sequence[tuple[str, Sequence[Segment], Rect]]
) -> list[str]:
    """Everything that overlaps: two labels, a label and a state, a label and any edge, two
    edges along each other, or an edge through a state. `edges`: (name, segments, label box)."""
    found = []
    for i, (name, segments, label) in enumerate(edges):
        for node in nodes:
            if _meets(label, node):
                found.append(f"label of {name} over a state at {node}")
        for other_name, other_segments, other_label in edges[i + 1 :]:
            if _meets(label, other_label):
                found.append(f"labels of {name} and {other_name} overlap")
            for mine in segments:
                for theirs in other_segments:
                    if _overlap(mine, theirs):
                        found.append(f"edges {name} and {other_name} run along each other")
        for other_name, other_segments, _ in edges:
            for segment in other_segments:
                if _crosses(segment, label):
                    found.append(f"edge {other_name} crosses the label of {name}")
        for segment in segments:
            for node in nodes:
                inner = (node[0] + 1, node[1] + 1, node[2] - 2, node[3] - 2)
                if _crosses(segment, inner):
                    found.append(f"edge {name} runs through a state at {node}")
    return sorted(set(found))

"""The lifecycle diagram as inline SVG, drawn from the transition table itself.

Columns come from the shortest trigger path from `applied`; live states sit on the top row and
terminal ones below, so a new state or trigger in workflows.certificate_machine shows up here unchanged.
Edges carry their trigger names as tooltips; the current state and the edges leaving it are
highlighted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from workflows.certificate_machine import TRANSITIONS, TransitionSpec, Trigger
from workflows.model import TERMINAL_STATES, State

NODE_W, NODE_H, GAP_X, ROW_Y = 118, 34, 34, (30, 150)
QUIET = frozenset({Trigger.REMIND})  # trail-only triggers every state has: not drawn


@dataclass(frozen=True)
class Edge:
    source: State
    dest: State
    triggers: tuple[str, ...]


def edges(specs: Sequence[TransitionSpec] = TRANSITIONS) -> list[Edge]:
    """One edge per (source, destination) pair, naming every trigger that takes it."""
    found: dict[tuple[State, State], list[str]] = {}
    for spec in specs:
        if spec.trigger in QUIET:
            continue
        for source in sorted(spec.sources):
            dest = spec.dest or source
            found.setdefault((source, dest), []).append(str(spec.trigger))
    return [Edge(a, b, tuple(t)) for (a, b), t in found.items()]


def layout(specs: Sequence[TransitionSpec] = TRANSITIONS) -> dict[State, tuple[int, int]]:
    """(column, row) per state: column = trigger distance from `applied`; terminal states row 1."""
    graph: dict[State, set[State]] = {s: set() for s in State}
    for edge in edges(specs):
        graph[edge.source].add(edge.dest)
    depth = {State.APPLIED: 0}
    queue = deque([State.APPLIED])
    while queue:
        state = queue.popleft()
        for nxt in sorted(graph[state]):
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                queue.append(nxt)
    place: dict[State, tuple[int, int]] = {}
    taken: set[tuple[int, int]] = set()
    for state in sorted(State, key=lambda s: (depth.get(s, 99), list(State).index(s))):
        row = 1 if state in TERMINAL_STATES else 0
        column = depth.get(state, max(depth.values()) + 1)
        while (column, row) in taken:
            column += 1
        taken.add((column, row))
        place[state] = (column, row)
    return place


def _centre(cell: tuple[int, int]) -> tuple[float, float]:
    column, row = cell
    return 10 + column * (NODE_W + GAP_X) + NODE_W / 2, ROW_Y[row] + NODE_H / 2


def svg(current: State | None = None, allowed: Sequence[str] = ()) -> str:
    place = layout()
    width = 20 + (max(c for c, _ in place.values()) + 1) * (NODE_W + GAP_X)
    height = ROW_Y[1] + NODE_H + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        "<title>Certificate lifecycle</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    live = set(allowed)
    for edge in edges():
        hot = edge.source is current and bool(live & set(edge.triggers))
        cls = "edge hot" if hot else "edge"
        label = escape(", ".join(edge.triggers))
        out.append(
            f'<g class="{cls}" data-triggers="{label}"><title>{label}</title>'
            f"{_path(place[edge.source], place[edge.dest])}</g>"
        )
    for state, cell in place.items():
        x, y = _centre(cell)
        cls = "state current" if state is current else "state"
        if state in TERMINAL_STATES:
            cls += " terminal"
        out.append(
            f'<g class="{cls}" id="state-{state.value}"><rect x="{x - NODE_W / 2:.0f}" '
            f'y="{y - NODE_H / 2:.0f}" width="{NODE_W}" height="{NODE_H}" rx="8"/>'
            f'<text x="{x:.0f}" y="{y + 4:.0f}" text-anchor="middle">'
            f"{escape(state.value.replace('_', ' '))}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def _path(a: tuple[int, int], b: tuple[int, int]) -> str:
    (x1, y1), (x2, y2) = _centre(a), _centre(b)
    if a == b:  # a trigger that keeps the state: a loop above the box
        return (
            f'<path d="M{x1 - 20:.0f},{y1 - NODE_H / 2:.0f} C{x1 - 30:.0f},{y1 - 48:.0f} '
            f'{x1 + 30:.0f},{y1 - 48:.0f} {x1 + 20:.0f},{y1 - NODE_H / 2:.0f}" '
            'marker-end="url(#arrow)"/>'
        )
    if a[1] == b[1]:  # same row: arc over (rightwards) or under (leftwards)
        forward = x2 > x1
        sx = x1 + (NODE_W / 2 if forward else -NODE_W / 2)
        ex = x2 - (NODE_W / 2 if forward else -NODE_W / 2)
        adjacent = abs(a[0] - b[0]) == 1
        lift = 0 if adjacent and forward else (-26 if forward else 26) * abs(a[0] - b[0]) ** 0.5
        if adjacent and forward:
            return f'<path d="M{sx:.0f},{y1:.0f} L{ex:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        return (
            f'<path d="M{sx:.0f},{y1:.0f} Q{(sx + ex) / 2:.0f},{y1 + lift * 2:.0f} '
            f'{ex:.0f},{y2:.0f}" marker-end="url(#arrow)"/>'
        )
    sy = y1 + NODE_H / 2
    ey = y2 - NODE_H / 2
    return (
        f'<path d="M{x1:.0f},{sy:.0f} C{x1:.0f},{(sy + ey) / 2:.0f} {x2:.0f},'
        f'{(sy + ey) / 2:.0f} {x2:.0f},{ey:.0f}" marker-end="url(#arrow)"/>'
    )

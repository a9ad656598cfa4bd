"""The lifecycle diagram as inline SVG, drawn from the transition table itself.

Columns come from the shortest trigger path from `applied`; live states sit on the top row and
terminal ones below, so a new state or trigger in workflows.certificate_machine shows up here
unchanged. Every edge is labelled with its triggers, in the page's language.

Edges are drawn orthogonally so that none overlaps another and no label is crossed: the
transitions that stay on the top row run in a channel above it, those that go down in a channel
between the rows, each on a track of its own height. An edge leaves and enters a state at a port
of its own, so vertical segments never share an x; every vertical lies within a state's column,
and labels sit in the gaps between columns, which no vertical crosses. Transitions with the same
triggers into the same state (cancel, from six states) share one line and one label. A loop (a
trigger that keeps the state) runs above its state on the outermost track, its label over it.
The current state, and the lines of the triggers allowed from it, are highlighted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from itertools import pairwise

from starcert.web.language import gettext as _
from starcert.web.terms import term
from workflows.certificate_machine import TRANSITIONS, TransitionSpec, Trigger
from workflows.model import TERMINAL_STATES, State

NODE_W, NODE_H, GAP_X = 124, 36, 110
LABEL_SIZE, LINE_H, PAD = 10, 12, 4
MARGIN = 10
QUIET = frozenset({Trigger.REMIND})  # trail-only triggers every state has: not drawn
PLACED_BY_OTHERS = frozenset({Trigger.REFUSE_FOR_FINDINGS})
"""Drawn, but not counted where a state's column is found: the scheduler's refusal may come at
any stage before the decision, and "not certified" stays after the decision that refuses."""


@dataclass(frozen=True)
class Edge:
    """Transitions with the same triggers into `dest`, drawn as one line from each source."""

    sources: tuple[State, ...]
    dest: State
    triggers: tuple[str, ...]

    @property
    def loop(self) -> bool:
        return self.sources == (self.dest,)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def meets(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


Segment = tuple[tuple[float, float], tuple[float, float]]


@dataclass
class Drawn:
    """One edge as drawn: its polylines (one per source), its label's lines and box."""

    edge: Edge
    paths: list[list[tuple[float, float]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    label: Box | None = None

    def segments(self) -> list[Segment]:
        return [(a, b) for path in self.paths for a, b in pairwise(path)]


@dataclass
class Drawing:
    width: float
    height: float
    nodes: dict[State, Box]
    edges: list[Drawn]


def edges(specs: Sequence[TransitionSpec] = TRANSITIONS) -> list[Edge]:
    """One edge per (triggers, destination), naming every trigger that takes it, from each of
    its sources; a loop for the triggers that keep a state."""
    pairs: dict[tuple[State, State], list[str]] = {}
    for spec in specs:
        if spec.trigger in QUIET:
            continue
        for source in sorted(spec.sources):
            pairs.setdefault((source, spec.dest or source), []).append(str(spec.trigger))
    grouped: dict[tuple[State, tuple[str, ...], bool], list[State]] = {}
    for (source, dest), triggers in pairs.items():
        grouped.setdefault((dest, tuple(triggers), source == dest), []).append(source)
    return [Edge(tuple(s), dest, triggers) for (dest, triggers, _), s in grouped.items()]


def layout(specs: Sequence[TransitionSpec] = TRANSITIONS) -> dict[State, tuple[int, int]]:
    """(column, row) per state: column = trigger distance from `applied`; terminal states row 1."""
    graph: dict[State, set[State]] = {s: set() for s in State}
    for edge in edges([s for s in specs if s.trigger not in PLACED_BY_OTHERS]):
        for source in edge.sources:
            graph[source].add(edge.dest)
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


def text_width(text: str) -> float:
    """A generous estimate of `text`'s width at the labels' size: CJK a full em, else 0.62."""
    return sum(LABEL_SIZE if ord(ch) >= 0x2E80 else LABEL_SIZE * 0.62 for ch in text)


def _wrap(words: str, width: float) -> list[str]:
    lines: list[str] = []
    for word in words.split(" ") if " " in words else [words]:
        if lines and text_width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _label_lines(edge: Edge, width: float) -> list[str]:
    """The triggers' names, one or more lines each, no line wider than `width` where a word
    allows (a CJK name is one word)."""
    return [line for trigger in edge.triggers for line in _wrap(term(trigger), width)]


def _left(column: int) -> float:
    return MARGIN + column * (NODE_W + GAP_X)


def draw(specs: Sequence[TransitionSpec] = TRANSITIONS) -> Drawing:
    """The diagram's geometry (what `svg` renders and the tests measure)."""
    place = layout(specs)
    found = edges(specs)
    drawn = {e: Drawn(e, lines=_label_lines(e, GAP_X - 2 * PAD)) for e in found}
    label_h = {e: len(d.lines) * LINE_H + PAD for e, d in drawn.items()}

    # Ports: each edge's end on a state's side, spread over the side in the order of the other
    # end's x, so that no two verticals share an x.
    def centre_x(state: State) -> float:
        return _left(place[state][0]) + NODE_W / 2

    def upper(e: Edge) -> bool:  # runs above the top row
        return place[e.dest][1] == 0

    # A column's verticals in one channel (a top state's side and, below, a terminal state's)
    # share the column's width: keyed by (column, channel).
    attach: dict[tuple[int, bool], list[tuple[float, Edge, State, str]]] = {}
    for e in found:
        toward = sum(centre_x(s) for s in (*e.sources, e.dest)) / (len(e.sources) + 1)
        channel = upper(e)
        for source in e.sources:
            order = -1e6 if e.loop else toward  # a loop's ports outermost
            attach.setdefault((place[source][0], channel), []).append((order, e, source, "out"))
        into = 1e6 if e.loop else toward
        attach.setdefault((place[e.dest][0], channel), []).append((into, e, e.dest, "in"))
    port: dict[tuple[Edge, State, str], float] = {}
    for (column, _channel), ends in attach.items():
        ends.sort(key=lambda t: (t[0], t[3], str(t[1].triggers)))
        for i, (_order, e, state, role) in enumerate(ends):
            port[(e, state, role)] = _left(column) + (i + 1) * NODE_W / (len(ends) + 1)

    def span(e: Edge) -> tuple[float, float]:
        xs = [port[(e, s, "out")] for s in e.sources] + [port[(e, e.dest, "in")]]
        return min(xs), max(xs)

    # Tracks: interval colouring, shortest spans nearest the row; loops outermost.
    def tracks(group: list[Edge]) -> list[list[Edge]]:
        out: list[list[Edge]] = []
        for e in sorted(group, key=lambda e: (e.loop, span(e)[1] - span(e)[0], span(e))):
            a, b = span(e)
            for track in out:
                if not track[0].loop and e.loop:
                    continue
                if all(b + 2 * PAD < span(o)[0] or span(o)[1] + 2 * PAD < a for o in track):
                    track.append(e)
                    break
            else:
                out.append([e])
        return out

    up = tracks([e for e in found if upper(e)])
    down = tracks([e for e in found if not upper(e)])
    heights_up = [max(label_h[e] for e in t) + PAD for t in up]
    heights_down = [max(label_h[e] for e in t) + PAD for t in down]
    top_y = MARGIN + sum(heights_up) + 2 * PAD
    bottom_y = top_y + NODE_H + sum(heights_down) + 4 * PAD
    nodes = {
        s: Box(_left(c), top_y if r == 0 else bottom_y, NODE_W, NODE_H)
        for s, (c, r) in place.items()
    }
    track_y: dict[Edge, float] = {}
    y = top_y - PAD
    for track, h in zip(up, heights_up, strict=True):
        for e in track:
            track_y[e] = y
        y -= h
    y = top_y + NODE_H + PAD
    for track, h in zip(down, heights_down, strict=True):
        y += h
        for e in track:
            track_y[e] = y

    gaps = [(_left(c) + NODE_W, _left(c + 1)) for c in range(max(c for c, _ in place.values()))]
    for e, d in drawn.items():
        ty = track_y[e]
        into = port[(e, e.dest, "in")]
        dest_box = nodes[e.dest]
        for source in e.sources:
            out = port[(e, source, "out")]
            box = nodes[source]
            start_y = box.y if upper(e) else box.y + box.h
            d.paths.append([(out, start_y), (out, ty), (into, ty), (into, dest_box.y)])
        width = max(text_width(line) for line in d.lines) + 2 * PAD
        height = len(d.lines) * LINE_H + PAD
        a, b = span(e)
        if e.loop:
            middle = (a + b) / 2
        else:
            covered = [(g0 + g1) / 2 for g0, g1 in gaps if a <= g0 and g1 <= b]
            middle = covered[len(covered) // 2] if covered else (a + b) / 2
        d.label = Box(middle - width / 2, ty - height - 1, width, height)
    width = _left(max(c for c, _ in place.values()) + 1) - GAP_X + MARGIN
    return Drawing(width, bottom_y + NODE_H + MARGIN, nodes, list(drawn.values()))


def _node_lines(state: State) -> list[str]:
    """A state's name, on two lines where it is too long for its box (state names are 12px)."""
    return _wrap(term(state), (NODE_W - 2 * PAD) / 1.2)


def svg(current_state: State | None = None, allowed: Sequence[str] = ()) -> str:
    """The diagram for a case in `current_state`, the edges of the `allowed` triggers hot."""
    drawing = draw()
    live = set(allowed)
    title = escape(_("Certificate lifecycle"))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" role="img" '
        f'viewBox="0 0 {drawing.width:.0f} {drawing.height:.0f}" width="{drawing.width:.0f}" '
        f'height="{drawing.height:.0f}">',
        f"<title>{title}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>",
    ]
    for d in drawing.edges:
        e = d.edge
        hot = current_state in e.sources and bool(live & set(e.triggers))
        codes = escape(", ".join(e.triggers))
        names = escape(", ".join(term(t) for t in e.triggers))
        out.append(f'<g class="{"edge hot" if hot else "edge"}" data-triggers="{codes}">')
        out.append(f"<title>{names}</title>")
        for source, path in zip(e.sources, d.paths, strict=True):
            points = " L".join(f"{x:.1f},{y:.1f}" for x, y in path)
            mine = ' class="hot"' if hot and source is current_state else ""
            out.append(f'<path{mine} d="M{points}" marker-end="url(#arrow)"/>')
        assert d.label is not None
        box = d.label
        out.append(
            f'<rect class="label-box" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}" '
            f'height="{box.h:.1f}" rx="3"/>'
            f'<text class="label" x="{box.x + box.w / 2:.1f}" text-anchor="middle" '
            f'font-size="{LABEL_SIZE}">'
        )
        for i, line in enumerate(d.lines):
            y = box.y + PAD / 2 + (i + 1) * LINE_H - 2.5
            out.append(f'<tspan x="{box.x + box.w / 2:.1f}" y="{y:.1f}">{escape(line)}</tspan>')
        out.append("</text></g>")
    for state, box in drawing.nodes.items():
        cls = "state current" if state is current_state else "state"
        if state in TERMINAL_STATES:
            cls += " terminal"
        lines = _node_lines(state)
        out.append(
            f'<g class="{cls}" id="state-{state.value}"><rect x="{box.x:.0f}" y="{box.y:.0f}" '
            f'width="{box.w:.0f}" height="{box.h:.0f}" rx="8"/>'
            f'<text x="{box.x + box.w / 2:.0f}" text-anchor="middle">'
        )
        first = box.y + box.h / 2 + 4 - (len(lines) - 1) * 6.5
        for i, line in enumerate(lines):
            out.append(
                f'<tspan x="{box.x + box.w / 2:.0f}" y="{first + i * 13:.1f}">{escape(line)}</tspan>'
            )
        out.append("</text></g>")
    out.append("</svg>")
    return "".join(out)

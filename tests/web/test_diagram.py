"""The lifecycle diagram labels every edge with its triggers, in the page's language, and
nothing in it overlaps: no two labels, no label and a state or an edge, no two edges."""

from __future__ import annotations

import pytest

from starcert.web import diagram
from starcert.web.language import speaking
from starcert.web.terms import term
from tests.web.diagram_geometry import overlaps
from workflows.certificate_machine import TRANSITIONS
from workflows.model import State


def _geometry(drawing: diagram.Drawing) -> tuple[list, list]:  # type: ignore[type-arg]
    nodes = [(b.x, b.y, b.w, b.h) for b in drawing.nodes.values()]
    edges = []
    for d in drawing.edges:
        assert d.label is not None
        name = "+".join(d.edge.triggers)
        edges.append((name, d.segments(), (d.label.x, d.label.y, d.label.w, d.label.h)))
    return nodes, edges


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_transition_is_drawn_and_labelled_with_its_triggers(lang: str) -> None:
    with speaking(lang):
        drawing = diagram.draw()
        drawn = {
            (source, d.edge.dest, trigger)
            for d in drawing.edges
            for source in d.edge.sources
            for trigger in d.edge.triggers
        }
        for d in drawing.edges:
            shown = " ".join(d.lines)
            for trigger in d.edge.triggers:
                assert term(trigger).split(" ")[0] in shown, (trigger, shown)
    expected = {
        (source, spec.dest or source, str(spec.trigger))
        for spec in TRANSITIONS
        if spec.trigger not in diagram.QUIET
        for source in spec.sources
    }
    assert drawn == expected
    assert set(drawing.nodes) == set(State)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_nothing_in_the_diagram_overlaps(lang: str) -> None:
    with speaking(lang):
        nodes, edges = _geometry(diagram.draw())
    assert overlaps(nodes, edges) == []


def test_the_check_sees_an_overlap() -> None:
    nodes = [(0.0, 0.0, 10.0, 10.0)]
    line = ((20.0, 0.0), (20.0, 50.0))
    edges = [
        ("a", [line], (15.0, 20.0, 10.0, 5.0)),  # crossed by its own line
        ("b", [((20.0, 10.0), (20.0, 30.0))], (5.0, 5.0, 4.0, 4.0)),  # along a; over the state
    ]
    assert overlaps(nodes, edges) == [
        "edge a crosses the label of a",
        "edge b crosses the label of a",
        "edges a and b run along each other",
        "label of b over a state at (0.0, 0.0, 10.0, 10.0)",
    ]


def test_the_svg_carries_the_labels_and_marks_the_current_state() -> None:
    with speaking("zh-CN"):
        chinese = diagram.svg(State.ACTIVE, ["suspend", "withdraw"])
    with speaking("en"):
        english = diagram.svg(State.ACTIVE, ["suspend"])
    assert '<g class="state current" id="state-active">' in chinese
    assert ">暂停</tspan>" in chinese and ">注销</tspan>" in chinese
    assert ">suspend</tspan>" in english and ">restore after</tspan>" in english
    assert english.count('class="edge hot"') == 1  # active -> suspended, for suspend
    assert chinese.count('class="edge hot"') == 2  # and active -> withdrawn

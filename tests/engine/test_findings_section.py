"""The rule file's correction periods: the shipped numbers, the default for a file without them,
errors with file:line, and `rules diff` naming a change."""

from __future__ import annotations

import pytest

from engine import RuleFileError, load_ruleset
from engine.diff import diff
from engine.ruleset import DEFAULT_CORRECTIONS
from tests.engine.conftest import DEFAULT_FILE

SHIPPED = DEFAULT_FILE.read_bytes()


def _without_section() -> bytes:
    start = SHIPPED.index(b"findings:\n")
    end = SHIPPED.index(b"\nexamples:")
    return SHIPPED[:start] + SHIPPED[end + 1 :]


def test_the_shipped_file_gives_its_periods_and_says_they_are_the_bodys() -> None:
    ruleset = load_ruleset(SHIPPED, "gbt27922-2011.yaml")
    assert ruleset.corrections.as_dict() == {"major_correction_days": 90, "minor_plan_days": 30}
    block = SHIPPED[SHIPPED.index(b"findings:") - 400 : SHIPPED.index(b"\nexamples:")]
    assert block.count(b"[body]") >= 3


def test_a_file_without_the_section_gets_the_default_periods() -> None:
    assert load_ruleset(_without_section(), "old.yaml").corrections == DEFAULT_CORRECTIONS


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        (b"major_correction_days: 0", "findings.major_correction_days must be a whole number of days from 1 to 365, got 0"),
        (b"major_correction_days: 400", "got 400"),
        (b"major_correction_days: ninety", "got 'ninety'"),
        (b"major_corection_days: 90", "major_corection_days"),
    ],
)  # fmt: skip
def test_a_bad_period_is_named_with_its_line(changed: bytes, message: str) -> None:
    text = SHIPPED.replace(b"major_correction_days: 90", changed)
    line = text[: text.index(changed)].count(b"\n") + 1
    with pytest.raises(RuleFileError) as caught:
        load_ruleset(text, "bad.yaml")
    problems = [str(p) for p in caught.value.problems]
    assert any(f"bad.yaml:{line}" in p and message in p for p in problems), problems


def test_rules_diff_names_a_changed_period() -> None:
    old = load_ruleset(SHIPPED, "a.yaml")
    new = load_ruleset(
        SHIPPED.replace(b"major_correction_days: 90", b"major_correction_days: 60"), "b.yaml"
    )
    changes = [c for c in diff(old, new) if c.part == "findings"]
    assert [(c.subject, c.what, c.words) for c in changes] == [
        ("major_correction_days", "changed", "90 -> 60 days (shorter)")
    ]

"""Thousands of random score sheets: the engine (through durable-rules) against a plain oracle.

The oracle is written here from the scoring rules as the standard states them, sharing no code
with the engine: points per indicator, sampled share, exclusions normalised, deductions and bonus
outside the score, fail below 70 or with 5+ deductions, bands 95/90/80/70.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import RuleBook
from tests.engine.conftest import FULL_MARKS

MAX = {k: Fraction(v) for k, v in FULL_MARKS.items()}
DAY = date(2026, 6, 1)


def oracle(sheet: dict[str, Any]) -> tuple[Fraction, str | None]:
    got = Fraction(0)
    possible = Fraction(0)
    for name, maximum in MAX.items():
        if name in sheet["excluded"]:
            continue
        possible += maximum
        result = sheet["results"][name]
        if "points" in result:
            got += Fraction(Decimal(result["points"]))
        else:
            got += maximum * result["conforming"] / result["sampled"]
    final = got / possible * 100 - len(sheet["special_deductions"])
    if sheet["special_bonus"]:
        final += 1
    if final < 70 or len(sheet["special_deductions"]) >= 5:
        return final, None
    for bound, band in (
        (95, "five_star"),
        (90, "four_star"),
        (80, "three_star"),
        (70, "qualified"),
    ):
        if final >= bound:
            return final, band
    raise AssertionError("unreachable")


@st.composite
def sheets(draw: st.DrawFn) -> dict[str, Any]:
    excluded = draw(st.sets(st.sampled_from(sorted(MAX)), max_size=5))
    results: dict[str, Any] = {}
    for name, maximum in MAX.items():
        if name in excluded:
            continue
        if draw(st.booleans()):
            sampled = draw(st.integers(1, 30))
            results[name] = {"conforming": draw(st.integers(0, sampled)), "sampled": sampled}
        else:
            hundredths = draw(st.integers(int(maximum * 40), int(maximum * 100)))
            results[name] = {"points": str(Decimal(hundredths) / 100)}
    return {
        "results": results,
        "excluded": sorted(excluded),
        "special_deductions": ["d"] * draw(st.integers(0, 6)),
        "special_bonus": draw(st.sampled_from([None, "leading practice"])),
    }


@settings(max_examples=2000, deadline=None)
@given(sheet=sheets())
def test_engine_matches_the_oracle(book: RuleBook, sheet: dict[str, Any]) -> None:
    final, band = oracle(sheet)
    decision = book.evaluate({"score_sheet": sheet}, DAY)
    assert decision.band == band
    assert decision.certified is (band is not None)
    whole = final.numerator * 10**6 // final.denominator
    assert decision.final_score == Decimal(whole).scaleb(-6)
    assert book.evaluate({"score_sheet": sheet}, DAY) == decision  # same facts, same decision

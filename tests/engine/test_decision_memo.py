"""The decision memo: equal facts answered once per rule version, never across versions, bounded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine import FactError, RuleBook, evaluate, load_ruleset
from engine.canonical import prepared
from engine.memo import DecisionMemo
from engine.python_backend import PythonBackend
from tests.engine.conftest import application, sheet

DAY = date(2026, 6, 1)
# 90.5 of 100 after one deduction: four stars from 90, three stars when four start at 91.
NINETY = {
    **application(),
    "score_sheet": sheet({"repair": 0, "delivery": "4.5"}, special_deductions=["late"]),
}


def test_two_versions_differing_in_one_band_bound_never_share_an_answer(
    write_rules: Callable[..., Path],
) -> None:
    first = load_ruleset(write_rules(lambda t: t, "v1.yaml").read_bytes(), "v1.yaml")
    stricter = write_rules(
        lambda t: t.replace("from: 90, below: 95}", "from: 91, below: 95}").replace(
            "from: 80, below: 90}", "from: 80, below: 91}"
        ),
        "v2.yaml",
    )
    second = load_ruleset(stricter.read_bytes(), "v2.yaml")
    memo = DecisionMemo()
    one = evaluate(first, NINETY, DAY, memo=memo)
    two = evaluate(second, NINETY, DAY, memo=memo)
    assert one.final_score == two.final_score == Decimal("90.5")
    assert (one.band, two.band) == ("four_star", "three_star")
    assert two.content_hash != one.content_hash
    assert (memo.hits, len(memo)) == (0, 2)
    assert evaluate(first, NINETY, DAY, memo=memo) == one
    assert evaluate(second, NINETY, DAY, memo=memo) == two
    assert memo.hits == 2


def test_the_same_facts_written_differently_are_decided_once(book: RuleBook) -> None:
    memo = DecisionMemo()
    plain = dict(NINETY)
    written = {
        **{k: v.isoformat() if isinstance(v, date) else v for k, v in application().items()},
        "score_sheet": sheet(
            {"repair": {"points": Decimal("0.00")}, "delivery": 4.5},
            special_deductions=("late",),
            excluded=[],
        ),
    }
    reordered = dict(reversed(list(written.items())))
    first = evaluate(book, plain, DAY, memo=memo)
    assert evaluate(book, written, DAY, memo=memo) == first
    assert evaluate(book, reordered, DAY, memo=memo) == first
    assert (memo.hits, memo.misses) == (2, 1)
    assert first == evaluate(book, plain, DAY, backend=PythonBackend())  # and as without a memo


def test_prepared_facts_decide_as_given_facts(book: RuleBook) -> None:
    ready = prepared(NINETY)
    for version in book.versions:
        assert evaluate(version, ready, DAY) == evaluate(version, NINETY, DAY)


def test_other_dates_and_checks_are_other_answers(book: RuleBook) -> None:
    memo = DecisionMemo()
    on_day = evaluate(book, NINETY, DAY, memo=memo)
    later = evaluate(book, NINETY, date(2026, 7, 1), memo=memo)
    scoring = evaluate(book, NINETY, DAY, checks=["scoring"], memo=memo)
    assert on_day.deadlines != later.deadlines
    assert scoring.checks == ("scoring",) and on_day.checks == ("application", "scoring")
    assert memo.hits == 0


def test_bad_facts_are_refused_even_after_good_ones_were_remembered(book: RuleBook) -> None:
    memo = DecisionMemo()
    evaluate(book, NINETY, DAY, memo=memo)
    with pytest.raises(FactError, match="has_trained_staff: expected true or false, got 1"):
        evaluate(book, {**NINETY, "has_trained_staff": 1}, DAY, memo=memo)
    too_many = sheet({"repair": "99"})
    with pytest.raises(FactError, match=r"score_sheet\.results\.repair\.points: 99 is outside"):
        evaluate(book, {**NINETY, "score_sheet": too_many}, DAY, memo=memo)
    assert len(memo) == 1


def test_the_least_recently_used_answer_goes_first(book: RuleBook) -> None:
    memo = DecisionMemo(2)
    facts = [
        application(has_trained_staff=staff, has_dedicated_funds=funds)
        for staff in (True, False)
        for funds in (True, False)
    ]
    evaluate(book, facts[0], DAY, memo=memo)
    evaluate(book, facts[1], DAY, memo=memo)
    evaluate(book, facts[0], DAY, memo=memo)  # used again: facts[1] is now the oldest
    evaluate(book, facts[2], DAY, memo=memo)
    assert len(memo) == 2
    evaluate(book, facts[0], DAY, memo=memo)
    evaluate(book, facts[1], DAY, memo=memo)
    assert (memo.hits, memo.misses) == (2, 4)


def test_a_memo_of_size_zero_remembers_nothing(book: RuleBook) -> None:
    memo = DecisionMemo(0)
    evaluate(book, NINETY, DAY, memo=memo)
    evaluate(book, NINETY, DAY, memo=memo)
    assert (memo.hits, len(memo)) == (0, 0)
    with pytest.raises(ValueError, match="0 or more"):
        DecisionMemo(-1)

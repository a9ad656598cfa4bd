"""Decisions on application facts and score sheets: dates, bands, exclusions, sampling, facts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from engine import FactError, NotInForce, RuleBook, evaluate
from tests.engine.conftest import application, sheet

SCORED = date(2026, 6, 1)


def score(book: RuleBook, **kw: Any) -> Any:
    return book.evaluate({"score_sheet": sheet(**kw)}, SCORED)


def score_points(book: RuleBook, points: dict[str, Any], **extra: Any) -> Any:
    return book.evaluate({"score_sheet": sheet(points, **extra)}, SCORED)


@pytest.mark.parametrize(
    ("since", "earliest"),
    [
        (date(2025, 11, 30), date(2026, 2, 28)),
        (date(2023, 11, 30), date(2024, 2, 29)),  # leap year
        (date(2025, 8, 31), date(2025, 11, 30)),
        (date(2025, 1, 15), date(2025, 4, 15)),
    ],
)
def test_running_time_uses_calendar_months_with_month_end_clamping(
    book: RuleBook, since: date, earliest: date
) -> None:
    on_time = book.evaluate(
        application(service_system_since=since, application_date=earliest), earliest
    )
    assert on_time.eligible is True and on_time.earliest_application == earliest
    early = date.fromordinal(earliest.toordinal() - 1)
    too_soon = book.evaluate(application(service_system_since=since, application_date=early), early)
    assert too_soon.outcome == "ineligible"
    assert [f.rule for f in too_soon.failures] == ["running_time"]
    assert too_soon.earliest_application == earliest


def test_all_failed_prerequisites_are_reported_together(book: RuleBook) -> None:
    decision = book.evaluate(
        application(
            has_dedicated_manager=False,
            has_dedicated_funds=False,
            is_prc_legal_entity=False,
            last_major_failure=date(2025, 12, 1),
        ),
        date(2026, 3, 2),
    )
    assert decision.eligible is False
    assert [f.rule for f in decision.failures] == [
        "prerequisite.dedicated_manager",
        "prerequisite.dedicated_funds",
        "prerequisite.no_recent_major_failure",
        "prerequisite.prc_legal_entity",
    ]
    assert all(f.message for f in decision.failures)
    assert {p.rule for p in decision.passed} == {
        "prerequisite.service_documents",
        "prerequisite.trained_staff",
        "running_time",
    }


@pytest.mark.parametrize(
    ("complaint_points", "band", "final"),
    [
        ("12", "five_star", "100"),
        ("7", "five_star", "95"),
        ("6.96", "four_star", "94.96"),
        ("6.999999", "four_star", "94.999999"),
        ("2", "four_star", "90"),
    ],
)
def test_band_edges_are_exact(book: RuleBook, complaint_points: str, band: str, final: str) -> None:
    decision = score_points(book, {"complaint_handling": complaint_points})
    assert decision.band == band
    assert decision.final_score == Decimal(final)


def test_seventy_is_qualified_and_just_below_fails(book: RuleBook) -> None:
    zeroed = dict.fromkeys(
        ("organisation", "staffing", "resources", "service_norms", "supervision"), 0
    )
    at_70 = score_points(book, zeroed)
    assert (at_70.band, at_70.final_score, at_70.outcome) == ("qualified", Decimal(70), "certified")
    below = score_points(book, {**zeroed, "complaint_handling": "11.999"})
    assert below.final_score == Decimal("69.999")
    assert below.band is None and below.certified is False
    assert [r.rule for r in below.fail_reasons] == ["fail.score_below_70"]


def test_five_special_deductions_fail_and_four_do_not(book: RuleBook) -> None:
    five = score(book, special_deductions=["a", "b", "c", "d", "e"])
    assert five.final_score == 95 and five.band is None and five.outcome == "not_certified"
    assert [r.rule for r in five.fail_reasons] == ["fail.five_special_deductions"]
    four = score(book, special_deductions=["a", "b", "c", "d"])
    assert four.final_score == 96 and four.band == "five_star"


def test_deductions_and_bonus_apply_after_normalisation(book: RuleBook) -> None:
    decision = score_points(
        book,
        {"recycling": None, "repair": 5},
        excluded=["recycling"],
        special_deductions=["late records"],
        special_bonus="leading",
    )
    # 94 of 96 applicable points -> 97.916666..; -1 + 1 outside the normalised score
    assert decision.normalised_score == Decimal("97.916666")
    assert decision.final_score == Decimal("97.916666")
    assert decision.applicable_points == 96 and decision.achieved_points == 94


def test_exclusions_are_normalised(book: RuleBook) -> None:
    decision = score_points(
        book,
        {"customer_relationship": None, "complaint_handling": None, "repair": 0},
        excluded=["customer_relationship", "complaint_handling"],
    )
    assert decision.applicable_points == 75
    assert decision.final_score == Decimal("90.666666")  # 68 / 75 x 100, rounded down
    assert decision.band == "four_star"


def test_sampled_indicator_loses_points_in_proportion(book: RuleBook) -> None:
    decision = score_points(book, {"complaint_handling": {"conforming": 7, "sampled": 8}})
    assert decision.final_score == Decimal("98.5")  # 12 x 7/8 = 10.5


def test_third_level_items_add_up(book: RuleBook) -> None:
    decision = score_points(
        book,
        {
            "customer_relationship": {
                "items": {"follow_up_visits": {"conforming": 1, "sampled": 2}, "satisfaction": 7}
            }
        },
    )
    assert decision.final_score == 97


@pytest.mark.parametrize(
    ("points", "extra", "fact", "message"),
    [
        ({"repair": None}, {}, "score_sheet.results", "1 indicator missing: repair"),
        (
            {"repair": None, "staffing": None},
            {},
            "score_sheet.results",
            "2 indicators missing: staffing, repair (score each, or list it under excluded)",
        ),
        ({"repair": 8}, {}, "score_sheet.results.repair.points", "outside 0..7"),
        ({"repair": -1}, {}, "score_sheet.results.repair.points", "outside 0..7"),
        ({"repair": "seven"}, {}, "score_sheet.results.repair.points", "expected a number"),
        ({"repiar": 3}, {}, "score_sheet.results.repiar", "did you mean 'repair'"),
        (
            {"repair": {"conforming": 5, "sampled": 4}},
            {},
            "score_sheet.results.repair",
            "conforming <= sampled",
        ),
        ({}, {"excluded": ["repair"]}, "score_sheet.results.repair", "both excluded and scored"),
        ({}, {"special_bonus": ["a", "b"]}, "score_sheet.special_bonus", "at most one"),
    ],
)
def test_bad_score_sheets_name_the_fact(
    book: RuleBook, points: dict[str, Any], extra: dict[str, Any], fact: str, message: str
) -> None:
    with pytest.raises(FactError) as caught:
        score_points(book, points, **extra)
    assert caught.value.fact == fact
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("facts", "fact", "message"),
    [
        (
            {k: v for k, v in application().items() if k != "has_trained_staff"},
            "has_trained_staff",
            "missing",
        ),
        (application(has_trained_staff="yes"), "has_trained_staff", "expected true or false"),
        (application(application_date="2026-13-01"), "application_date", "expected a date"),
        (application(service_system_since=None), "service_system_since", "is null"),
        (
            application(service_system_since=date(9999, 11, 30)),
            "service_system_since",
            "9999-11-30 is outside 1900-01-01..2999-12-31",
        ),
        (
            application(last_major_failure="0001-01-01"),
            "last_major_failure",
            "0001-01-01 is outside 1900-01-01..2999-12-31",
        ),
        (
            {**application(), "has_trained_stuff": True},
            "has_trained_stuff",
            "did you mean 'has_trained_staff'",
        ),
    ],
)
def test_missing_or_mistyped_facts_raise_naming_the_fact(
    book: RuleBook, facts: dict[str, Any], fact: str, message: str
) -> None:
    with pytest.raises(FactError) as caught:
        book.evaluate(facts, date(2026, 3, 2))
    assert caught.value.fact == fact and message in str(caught.value)


def test_checks_asked_for_require_their_facts(book: RuleBook) -> None:
    with pytest.raises(FactError, match="score_sheet: missing"):
        book.evaluate(application(), date(2026, 3, 2), checks=["application", "scoring"])
    with pytest.raises(FactError, match="application_date: missing"):
        book.evaluate({"score_sheet": sheet()}, SCORED, checks=["application", "scoring"])
    with pytest.raises(FactError, match="nothing to evaluate"):
        book.evaluate({}, SCORED)


def test_a_decision_date_beyond_the_calendar_the_engine_decides_on_is_refused(
    book: RuleBook,
) -> None:
    """A certificate decided on it would have deadlines past the year 9999."""
    with pytest.raises(FactError, match=r"fact as_of: 9999-06-01 is outside 1900-01-01\.\."):
        book.evaluate({"score_sheet": sheet()}, date(9999, 6, 1))
    assert book.evaluate({"score_sheet": sheet()}, date(2999, 12, 31)).deadlines["expiry"] == (
        date(3002, 12, 30)
    )


def test_iso_date_strings_are_accepted(book: RuleBook) -> None:
    decision = book.evaluate(
        application(application_date="2026-03-02", service_system_since="2025-11-30"),
        date(2026, 3, 2),
    )
    assert decision.eligible is True


def test_full_decision_has_deadlines_and_version(book: RuleBook) -> None:
    decision = book.evaluate({**application(), "score_sheet": sheet()}, SCORED)
    assert decision.outcome == "certified" and decision.checks == ("application", "scoring")
    assert decision.deadlines["surveillance_due"] == date(2027, 6, 1)
    assert decision.deadlines["surveillance_window_opens"] == date(2027, 3, 1)
    assert decision.deadlines["expiry"] == date(2029, 5, 31)  # valid through the day before
    assert decision.lifecycle["validity_months"] == 36
    assert (decision.ruleset, decision.version) == ("gbt27922", "1")
    assert len(decision.content_hash) == 64
    data = decision.to_dict()
    assert data["final_score"] == "100.000000" and data["deadlines"]["expiry"] == "2029-05-31"


def test_version_in_force_is_chosen_by_date(strict_book: RuleBook) -> None:
    facts = application(application_date=date(2025, 3, 2), service_system_since=date(2024, 11, 30))
    old = strict_book.evaluate(facts, date(2025, 3, 2))
    assert (old.version, old.eligible) == ("1", True)
    facts = application(application_date=date(2026, 3, 2), service_system_since=date(2025, 11, 30))
    new = strict_book.evaluate(facts, date(2026, 3, 2))
    assert (new.version, new.eligible) == ("2", False)
    assert new.earliest_application == date(2026, 5, 30)
    with pytest.raises(NotInForce):
        strict_book.evaluate(facts, date(2023, 12, 31))
    with pytest.raises(NotInForce):
        evaluate(strict_book.versions[1], facts, date(2025, 1, 1))


def test_strict_body_differs_from_the_default(book: RuleBook, strict_book: RuleBook) -> None:
    day = date(2026, 3, 2)
    facts = application(last_major_failure=date(2024, 1, 1))
    assert book.evaluate(facts, day).eligible is True
    assert [f.rule for f in strict_book.evaluate(facts, day).failures] == [
        "prerequisite.no_recent_major_failure",
        "running_time",
    ]
    terms = strict_book.in_force(day).lifecycle
    assert (terms.surveillance_window_months, terms.suspension_limit_months) == (2, 4)

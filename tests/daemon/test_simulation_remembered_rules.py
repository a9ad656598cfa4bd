"""A simulation's batches ask RememberedRules: the rules' own answers, each worked out once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from starcert.rules_adapter import EngineRules
from starcert.simulation_target import RememberedRules
from tests.engine.conftest import FULL_MARKS, RULES
from workflows.model import (
    Application,
    IndicatorResult,
    Organisation,
    PrerequisiteFacts,
    ScoreSheet,
)

ORG = Organisation(id=1, name="Acme", credit_code="91350100M000100Y43")


def _sheet(**points: str) -> ScoreSheet:
    results = {k: IndicatorResult(points=Decimal(v)) for k, v in FULL_MARKS.items()}
    results.update({k: IndicatorResult(points=Decimal(v)) for k, v in points.items()})
    return ScoreSheet(results=results)


def _application(submitted: date, trained: bool = True) -> Application:
    facts = PrerequisiteFacts(True, True, True, None, trained, True)
    return Application(1, 1, submitted, date(2025, 11, 30), "retail", facts)


def test_scores_are_the_rules_own_and_kept_by_version_and_exact_sheet() -> None:
    engine = EngineRules.from_directory(RULES)
    kept = RememberedRules(engine)
    days = [date(2026, 6, 1), date(2026, 9, 17)]
    sheets = [_sheet(repair="6.5"), _sheet(repair="6.50"), _sheet(repair="3")]
    for day in days:
        for sheet in sheets:
            assert kept.score(sheet, day) == engine.score(sheet, day)
    assert kept.score(sheets[0], days[0]) is kept.score(sheets[0], days[1])  # no date in it
    # 6.5 and 6.50 are equal numbers, kept apart all the same: a score may keep their digits.
    assert kept.score(sheets[0], days[0]) is not kept.score(sheets[1], days[0])


def test_reviews_and_terms_are_kept_by_day_and_facts() -> None:
    engine = EngineRules.from_directory(RULES)
    kept = RememberedRules(engine)
    for day in [date(2026, 2, 27), date(2026, 2, 28)]:
        for trained in (True, False):
            application = _application(day, trained)
            assert kept.review_application(application, ORG, day) == engine.review_application(
                application, ORG, day
            )
        assert kept.terms(day) == engine.terms(day)
    assert kept.effective_dates() == engine.effective_dates()

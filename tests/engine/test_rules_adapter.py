"""EngineRules: the lifecycle's RulesPort answered by the rule files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from starcert.rules_adapter import EngineRules
from tests.engine.conftest import FULL_MARKS, RULES, STRICT
from workflows.model import (
    Application,
    IndicatorResult,
    Organisation,
    PrerequisiteFacts,
    ScoreSheet,
    StarLevel,
)
from workflows.ports import RulesPort

ORG = Organisation(id=1, name="Acme", credit_code="91350100M000100Y43")


def application(submitted: date, **changes: object) -> Application:
    facts = dict(
        has_service_documents=True,
        has_dedicated_manager=True,
        has_dedicated_funds=True,
        last_major_failure=None,
        has_trained_staff=True,
        is_prc_legal_entity=True,
    )
    facts.update(changes)
    return Application(
        id=1,
        organisation_id=1,
        submitted_on=submitted,
        service_system_since=date(2025, 11, 30),
        scope="retail",
        facts=PrerequisiteFacts(**facts),
    )  # type: ignore[arg-type]


def test_review_application() -> None:
    rules: RulesPort = EngineRules.from_directory(RULES)
    ok = rules.review_application(application(date(2026, 2, 28)), ORG, date(2026, 2, 28))
    assert ok.eligible and ok.failures == () and ok.earliest_application == date(2026, 2, 28)
    refused = rules.review_application(
        application(date(2026, 2, 27), has_trained_staff=False), ORG, date(2026, 2, 27)
    )
    assert not refused.eligible and len(refused.failures) == 2
    assert refused.rules.version == "1" and len(refused.rules.content_hash) == 64


def test_score_maps_bands_to_star_levels() -> None:
    rules = EngineRules.from_directory(RULES)
    results = {k: IndicatorResult(points=Decimal(v)) for k, v in FULL_MARKS.items()}
    results["complaint_handling"] = IndicatorResult(points=Decimal("6.96"))
    verdict = rules.score(ScoreSheet(results=results), date(2026, 6, 1))
    assert verdict.passed and verdict.star_level is StarLevel.FOUR
    assert verdict.final_score == Decimal("94.96")
    results["quality_guarantee"] = IndicatorResult(
        items={"returns": Decimal(2), "exchanges": Decimal("0.5"), "warranty": Decimal(3)}
    )
    with_items = rules.score(ScoreSheet(results=results), date(2026, 6, 1))
    assert with_items.final_score == Decimal("93.46")
    results["repair"] = IndicatorResult(conforming=0, sampled=4)
    failed = rules.score(
        ScoreSheet(results=results, special_deductions=("a",) * 5), date(2026, 6, 1)
    )
    assert not failed.passed and failed.star_level is None
    assert failed.reasons == ("5 or more special deductions",)


def test_terms_come_from_the_version_in_force() -> None:
    rules = EngineRules.from_directory(STRICT)
    terms = rules.terms(date(2026, 1, 1))
    assert (
        terms.validity_months,
        terms.surveillance_window_months,
        terms.suspension_limit_months,
        terms.restoration_after_expiry_months,
    ) == (36, 2, 4, 0)
    assert terms.rules.version == "2"
    assert rules.terms(date(2025, 1, 1)).rules.version == "1"

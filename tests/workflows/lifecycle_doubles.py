"""A plain, deterministic RulesPort for lifecycle tests, and builders of valid inputs.

The real rules live in the engine; this double implements the same protocol with the documented
defaults (15 indicators over 40/35/25 points, bands 95/90/80/70, fail on 5+ special deductions,
3 months' running time) so the lifecycle can be tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from workflows.credit_code import ALPHABET, check_character
from workflows.errors import InvalidInput
from workflows.model import (
    Application,
    IndicatorResult,
    Organisation,
    PrerequisiteFacts,
    ScoreSheet,
    StarLevel,
)
from workflows.ports import ApplicationVerdict, LifecycleTerms, RuleStamp, ScoreVerdict

INDICATORS: dict[str, int] = {
    "organisation": 6, "staffing": 6, "resources": 6, "service_rules": 6, "supervision": 6,
    "improvement": 5, "service_culture": 5,
    "commodity_information": 6, "technical_support": 6, "delivery": 6, "repair": 6,
    "quality_guarantee": 6, "recycling": 5,
    "customer_relationship": 12, "complaint_handling": 13,
}  # fmt: skip
assert sum(INDICATORS.values()) == 100

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 1, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STAMP = RuleStamp("test-2024.1", "sha256:test")


@dataclass
class PlainRules:
    """Eligible iff every prerequisite holds and the system ran 3 months; score = points."""

    validity_months: int = 36
    first_surveillance_months: int = 12
    surveillance_interval_months: int = 12
    surveillance_window_months: int = 3
    suspension_limit_months: int = 6
    recert_reminder_months: int = 3
    restoration_after_expiry_months: int = 6
    stamp: RuleStamp = STAMP
    calls: list[str] = field(default_factory=list)

    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> ApplicationVerdict:
        self.calls.append("review_application")
        facts = application.facts
        failures = [
            message
            for ok, message in (
                (facts.has_service_documents, "no after-sales service system documents"),
                (facts.has_dedicated_manager, "no dedicated after-sales manager"),
                (facts.has_dedicated_funds, "no dedicated after-sales funds"),
                (facts.has_trained_staff, "service staff not formally trained"),
                (facts.is_prc_legal_entity, "not an independent PRC legal entity"),
            )
            if not ok
        ]
        if facts.last_major_failure and facts.last_major_failure > as_of - relativedelta(years=1):
            failures.append(f"major after-sales failure on {facts.last_major_failure}")
        earliest = application.service_system_since + relativedelta(months=3)
        if application.submitted_on < earliest:
            failures.append(f"service system running less than 3 months (earliest {earliest})")
        return ApplicationVerdict(not failures, tuple(failures), earliest, self.stamp)

    def score(self, sheet: ScoreSheet, as_of: date) -> ScoreVerdict:
        self.calls.append("score")
        actual = Decimal(0)
        applicable = Decimal(0)
        for name in sheet.results:
            if name not in INDICATORS:
                raise InvalidInput(f"sheet.{name}", "unknown indicator")
        for name, maximum in INDICATORS.items():
            if name in sheet.excluded:
                continue
            result = sheet.results.get(name)
            if result is None:
                raise InvalidInput(f"sheet.{name}", "no result and not excluded")
            applicable += maximum
            actual += _points(name, result, maximum)
        if applicable == 0:
            raise InvalidInput("sheet.excluded", "every indicator is excluded")
        final = actual / applicable * 100 - len(sheet.special_deductions)
        if sheet.special_bonus:
            final += 1
        passed = final >= 70 and len(sheet.special_deductions) < 5
        star = _band(final) if passed else None
        reasons = (
            ()
            if passed
            else (f"final score {final} or deductions {len(sheet.special_deductions)}",)
        )
        return ScoreVerdict(passed, final, star, reasons, self.stamp)

    def terms(self, as_of: date) -> LifecycleTerms:
        self.calls.append("terms")
        return LifecycleTerms(
            self.validity_months, self.first_surveillance_months,
            self.surveillance_interval_months, self.surveillance_window_months,
            self.suspension_limit_months, self.recert_reminder_months,
            self.restoration_after_expiry_months, self.stamp,
        )  # fmt: skip

    def effective_dates(self) -> tuple[date, ...]:
        return ()  # one version, in force from the beginning


def _points(name: str, result: IndicatorResult, maximum: int) -> Decimal:
    if result.points is not None:
        if not Decimal(0) <= result.points <= maximum:
            raise InvalidInput(f"sheet.{name}.points", f"{result.points} outside 0..{maximum}")
        return result.points
    if result.sampled is None or result.conforming is None or result.sampled <= 0:
        raise InvalidInput(f"sheet.{name}", "needs points or conforming/sampled")
    if not 0 <= result.conforming <= result.sampled:
        raise InvalidInput(f"sheet.{name}.conforming", "must be between 0 and sampled")
    return Decimal(maximum) * result.conforming / result.sampled


def _band(score: Decimal) -> StarLevel:
    if score >= 95:
        return StarLevel.FIVE
    if score >= 90:
        return StarLevel.FOUR
    if score >= 80:
        return StarLevel.THREE
    return StarLevel.QUALIFIED


def sheet_scoring(total: int, deductions: int = 0) -> ScoreSheet:
    """A complete sheet whose points add up to `total` (0..100)."""
    remaining = total
    results: dict[str, IndicatorResult] = {}
    for name, maximum in INDICATORS.items():
        points = min(maximum, remaining)
        remaining -= points
        results[name] = IndicatorResult(points=Decimal(points))
    return ScoreSheet(results, special_deductions=tuple(f"d{i}" for i in range(deductions)))


def good_facts() -> PrerequisiteFacts:
    return PrerequisiteFacts(True, True, True, None, True, True)


def credit_code(serial: int) -> str:
    """A valid credit code, different for each serial number."""
    body = f"91110000{serial:09d}"
    assert all(ch in ALPHABET for ch in body)
    return body + check_character(body)

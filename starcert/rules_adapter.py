"""workflows.ports.RulesPort on top of the rules engine: domain values in, verdicts out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from engine import Check, Decision, RuleBook, RuleSet
from starcert.parsed_rulesets import ParsedRulesets
from starcert.rule_publication import UowFactory
from starcert.rules_store import PublishedBook
from workflows.model import (
    Application,
    IndicatorResult,
    Organisation,
    Sampled,
    ScoreSheet,
    StarLevel,
)
from workflows.ports import ApplicationVerdict, LifecycleTerms, RuleStamp, ScoreVerdict


class EngineRules:
    def __init__(self, book: RuleBook, published: PublishedBook | None = None) -> None:
        self.book = book
        self.published = published
        # Every transition asks for its lifecycle numbers: made once per version (a rule set
        # is immutable).
        self._terms: dict[int, tuple[RuleSet, LifecycleTerms]] = {}

    @classmethod
    def from_directory(cls, directory: Path | str) -> EngineRules:
        return cls(RuleBook.from_directory(directory))

    @classmethod
    def from_database(
        cls, uow_factory: UowFactory, kept: ParsedRulesets | None = None
    ) -> EngineRules:
        """The published versions (the database copy is the truth, not the files on disk);
        `kept`: where versions parsed by earlier processes are found."""
        published = PublishedBook(uow_factory, kept=kept)
        published.load()
        return cls(published.book, published)

    def refresh(self) -> list[RuleSet]:
        """Pick up versions published since the last look (one cheap query when none)."""
        return self.published.refresh() if self.published is not None else []

    def review_application(
        self, application: Application, organisation: Organisation, as_of: date
    ) -> ApplicationVerdict:
        decision = self.book.evaluate(
            application_facts(application), as_of, checks=[Check.APPLICATION]
        )
        return ApplicationVerdict(
            eligible=bool(decision.eligible),
            failures=tuple(f.message for f in decision.failures),
            earliest_application=decision.earliest_application,
            rules=_stamp(decision),
        )

    def score(self, sheet: ScoreSheet, as_of: date) -> ScoreVerdict:
        decision = self.book.evaluate(
            {"score_sheet": sheet_facts(sheet)}, as_of, checks=[Check.SCORING]
        )
        assert decision.final_score is not None
        return ScoreVerdict(
            passed=bool(decision.certified),
            final_score=decision.final_score,
            star_level=StarLevel(decision.band) if decision.band else None,
            reasons=tuple(r.message for r in decision.fail_reasons),
            rules=_stamp(decision),
        )

    def effective_dates(self) -> tuple[date, ...]:
        return self.book.effective_dates  # from the index: no version is parsed

    def terms(self, as_of: date) -> LifecycleTerms:
        ruleset: RuleSet = self.book.in_force(as_of)
        kept = self._terms.get(id(ruleset))
        if kept is not None and kept[0] is ruleset:
            return kept[1]
        terms = _terms(ruleset)
        if len(self._terms) > 256:  # versions replaced again and again: start over
            self._terms.clear()
        self._terms[id(ruleset)] = (ruleset, terms)
        return terms


def _terms(ruleset: RuleSet) -> LifecycleTerms:
    lc = ruleset.lifecycle
    return LifecycleTerms(
        validity_months=lc.validity_months,
        first_surveillance_months=lc.first_surveillance_months,
        surveillance_interval_months=lc.surveillance_interval_months,
        surveillance_window_months=lc.surveillance_window_months,
        suspension_limit_months=lc.suspension_limit_months,
        recert_reminder_months=lc.recert_reminder_months,
        restoration_after_expiry_months=lc.restoration_after_expiry_months,
        rules=RuleStamp(ruleset.version, ruleset.content_hash),
        major_correction_days=ruleset.corrections.major_correction_days,
        minor_plan_days=ruleset.corrections.minor_plan_days,
        indicators=tuple(i.id for i in ruleset.scoring.indicators),
    )


def application_facts(application: Application) -> dict[str, Any]:
    facts = application.facts
    return {
        "application_date": application.submitted_on,
        "service_system_since": application.service_system_since,
        "has_service_documents": facts.has_service_documents,
        "has_dedicated_manager": facts.has_dedicated_manager,
        "has_dedicated_funds": facts.has_dedicated_funds,
        "has_trained_staff": facts.has_trained_staff,
        "is_prc_legal_entity": facts.is_prc_legal_entity,
        "last_major_failure": facts.last_major_failure,
    }


def sheet_facts(sheet: ScoreSheet) -> dict[str, Any]:
    return {
        "results": {  # plain points, the usual result, without a call each
            k: {"points": v.points} if v.points is not None else _result(v)
            for k, v in sheet.results.items()
        },
        "excluded": sorted(sheet.excluded),
        "special_deductions": list(sheet.special_deductions),
        "special_bonus": sheet.special_bonus,
    }


def _result(result: IndicatorResult) -> Mapping[str, Any]:
    if result.points is not None:
        return {"points": result.points}
    if result.items is not None:
        return {"items": {k: _item(v) for k, v in result.items.items()}}
    return {"conforming": result.conforming, "sampled": result.sampled}


def _stamp(decision: Decision) -> RuleStamp:
    return RuleStamp(decision.version, decision.content_hash)


def _item(found: Decimal | Sampled) -> Mapping[str, Any]:
    if isinstance(found, Sampled):
        return {"conforming": found.conforming, "sampled": found.sampled}
    return {"points": found}

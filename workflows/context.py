"""What the lifecycle's guards and effects may know about one command: its facts and the rules.

One context lives for one command. It asks the rules lazily and remembers each answer, so a
"may I?" check and the transition that follows see the same verdict and the event can record
the rule stamp that verdict carried. Asking is free of side effects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from workflows.findings import Finding
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    Event,
    Organisation,
    SuspensionCause,
)
from workflows.ports import (
    ApplicationVerdict,
    LifecycleTerms,
    RulesPort,
    RuleStamp,
    ScoreVerdict,
)


class CaseFacts(Protocol):
    """Where a context loads the case's stored facts from, the first time a guard needs them."""

    def audits(self) -> Sequence[Audit]: ...
    def latest_audit_date(self) -> date | None: ...
    def application(self) -> Application: ...
    def organisation(self) -> Organisation: ...
    def findings(self) -> Sequence[Finding]: ...
    def events(self) -> Sequence[Event]: ...


class Numbering(Protocol):
    """How certificate numbers are made; a setting of the certification body."""

    def first(self, case: Case, decided_on: date) -> str: ...
    def renewed(self, case: Case, decided_on: date) -> str: ...


@dataclass
class TransitionContext:
    as_of: date  # the domain date the transition takes effect on
    rules: RulesPort
    audits: Sequence[Audit] = ()  # audits already recorded for the case
    audit: Audit | None = None  # the audit the command brings (not yet stored)
    application: Application | None = None
    organisation: Organisation | None = None
    cause: SuspensionCause | None = None
    reason: str | None = None
    numbering: Numbering | None = None
    data: Mapping[str, Any] = field(default_factory=dict)  # extra event data from the command
    change: Any = None  # what a certificate change asks for (workflows.certificate_changes)
    facts: CaseFacts | None = field(default=None, repr=False)  # loads what is not given above
    _scores: dict[int, ScoreVerdict] = field(default_factory=dict, repr=False)
    _terms: dict[date, LifecycleTerms] = field(default_factory=dict, repr=False)
    _review: ApplicationVerdict | None = field(default=None, repr=False)
    asked: list[RuleStamp] = field(default_factory=list, repr=False)  # stamps of answers used
    _audits_loaded: bool = field(default=False, repr=False)
    _application_loaded: bool = field(default=False, repr=False)
    findings: Sequence[Finding] = ()  # the case's findings as stored
    _findings_loaded: bool = field(default=False, repr=False)

    def load_findings(self) -> Sequence[Finding]:
        """The case's recorded findings, loaded from `facts` on first use."""
        if self.facts is not None and not self._findings_loaded:
            self.findings = tuple(self.facts.findings())
            self._findings_loaded = True
        return self.findings

    def load_audits(self) -> Sequence[Audit]:
        """The case's recorded audits, loaded from `facts` on first use (most triggers need none)."""
        if self.facts is not None and not self._audits_loaded:
            self.audits = tuple(self.facts.audits())
            self._audits_loaded = True
        return self.audits

    def latest_audit_date(self) -> date | None:
        """The latest recorded audit's date, without loading every sheet when none are loaded."""
        if self._audits_loaded or self.facts is None:
            return max((a.audit_date for a in self.audits), default=None)
        return self.facts.latest_audit_date()

    def load_application(self) -> Application | None:
        """The case's application, loaded from `facts` on first use."""
        if self.facts is not None and not self._application_loaded:
            self.application = self.facts.application()
            self._application_loaded = True
        return self.application

    def load_organisation(self) -> Organisation | None:
        """The applicant, loaded from `facts` on first use (only a review needs it)."""
        if self.facts is not None and self.organisation is None:
            self.organisation = self.facts.organisation()
        return self.organisation

    def load_events(self) -> Sequence[Event]:
        """The case's trail so far, loaded from `facts` (only a scope extension asks)."""
        return () if self.facts is None else self.facts.events()

    def all_audits(self) -> list[Audit]:
        audits = self.load_audits()
        return [*audits, *([self.audit] if self.audit is not None else [])]

    def latest(self, kind: AuditKind) -> Audit | None:
        """The latest audit of a kind (by date, then by recording order)."""
        found = [a for a in self.all_audits() if a.kind is kind]
        if not found:
            return None
        return max(enumerate(found), key=lambda pair: (pair[1].audit_date, pair[0]))[1]

    def score(self, audit: Audit) -> ScoreVerdict:
        """The verdict on an audit's sheet under the rules in force on the audit date."""
        if audit.sheet is None:
            raise ValueError(f"{audit.kind} audit of {audit.audit_date} has no score sheet")
        key = id(audit)
        verdict = self._scores.get(key)
        if verdict is None:
            verdict = self.rules.score(audit.sheet, audit.audit_date)
            self._scores[key] = verdict
        self.asked.append(verdict.rules)
        return verdict

    def terms_at(self, day: date) -> LifecycleTerms:
        terms = self._terms.get(day)
        if terms is None:
            terms = self.rules.terms(day)
            self._terms[day] = terms
        self.asked.append(terms.rules)
        return terms

    def terms_for(self, case: Case) -> LifecycleTerms:
        """The lifecycle numbers that judge a certificate's obligations on `as_of`.

        Those of the version in force that day, never of one before the decision: a version that
        changes the numbers reaches certificates not yet past them (see RecomputeDeadlines), and a
        day before its effective date keeps the old numbers.
        """
        return self.terms_at(self._judged_day(case))

    def later_terms(self, case: Case) -> list[tuple[date, LifecycleTerms]]:
        """The versions taking effect after the day `terms_for` judges by, with their numbers."""
        day = self._judged_day(case)
        return [(d, self.terms_at(d)) for d in self.rules.effective_dates() if d > day]

    def _judged_day(self, case: Case) -> date:
        return self.as_of if case.decided_on is None else max(case.decided_on, self.as_of)

    def review(self) -> ApplicationVerdict:
        """The application review, under the rules in force on the submission date."""
        if self._review is None:
            self.load_application()
            self.load_organisation()
            if self.application is None or self.organisation is None:
                raise ValueError("an application review needs the application and organisation")
            self._review = self.rules.review_application(
                self.application, self.organisation, self.application.submitted_on
            )
        self.asked.append(self._review.rules)
        return self._review

    @property
    def reviewed(self) -> ApplicationVerdict | None:
        return self._review

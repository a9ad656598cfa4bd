"""evaluate(rules, facts, as_of) → Decision: check facts, assert them once, read what fired."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Protocol

from engine.decision import Decision, RuleResult, score_decimal
from engine.facts import CheckedFacts, check_facts, earliest_application, flat_fact, in_calendar
from engine.outcomes import RuleKind, Tally
from engine.rule_errors import EngineError, NotInForce
from engine.ruleset import RuleSet
from engine.vocabulary import Check
from workflows.deadlines import certificate_plan


class Backend(Protocol):
    name: str

    def fire(
        self, ruleset: RuleSet, fact: dict[str, Any], on_fire: Callable[[str], None]
    ) -> None: ...


class Versions(Protocol):
    def in_force(self, as_of: date) -> RuleSet: ...


def evaluate(
    rules: RuleSet | Versions,
    facts: Mapping[str, Any],
    as_of: date,
    *,
    checks: Collection[str] | None = None,
    backend: Backend | None = None,
) -> Decision:
    """Decide on `facts` by the version in force on `as_of`.

    `checks` names the parts wanted ("application", "scoring"); every fact of those parts is then
    required. Without it, the parts whose facts are present are checked.
    """
    if isinstance(rules, RuleSet):
        ruleset = rules
        if as_of < ruleset.effective_from:
            raise NotInForce(
                f"{ruleset.label} takes effect on {ruleset.effective_from}, after {as_of}"
            )
    else:
        ruleset = rules.in_force(as_of)
    if backend is None:
        from engine.durable_adapter import default_backend

        backend = default_backend()
    checked = check_facts(ruleset, facts, checks)
    in_calendar("as_of", as_of)  # deadlines are counted from it
    tally = Tally()
    index = _index(ruleset)
    outcomes = ruleset.outcomes
    rule_outcome = index.outcome

    def on_fire(key: str) -> None:
        tally.fired.append(key)
        outcomes[rule_outcome[key]].action(tally, key)

    backend.fire(ruleset, flat_fact(ruleset, checked), on_fire)
    return _decide(ruleset, index, checked, tally, as_of)


class _Index:
    """Per rule set content: what a decision needs to look up rules fast."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.rules = {r.key: r for r in ruleset.rules}
        self.order = {r.key: i for i, r in enumerate(ruleset.rules)}
        self.outcome = {r.key: r.outcome for r in ruleset.rules}
        self.results = {r.key: RuleResult(r.key, r.message) for r in ruleset.rules}
        self.checkable = {
            check: [
                r.key for r in ruleset.rules if r.check is check and r.kind is not RuleKind.BAND
            ]
            for check in Check
        }
        self.lifecycle = MappingProxyType(ruleset.lifecycle.as_dict())
        self._numbers = ruleset.lifecycle
        self._deadlines: dict[date, Mapping[str, date]] = {}

    def deadlines(self, decided: date) -> Mapping[str, date]:
        """Deadlines of a certificate decided on `decided`, keyed by workflows' DeadlineKind: the
        lifecycle's own plan for it (workflows.deadlines.certificate_plan). Kept, read-only:
        decisions come as of a few days at a time."""
        found = self._deadlines.get(decided)
        if found is None:
            if len(self._deadlines) >= _KEPT_PLANS:
                self._deadlines.clear()
            planned = certificate_plan(decided, self._numbers)
            found = MappingProxyType({kind.value: due for kind, due in planned.items()})
            self._deadlines[decided] = found
        return found

    def sorted_results(self, keys: list[str]) -> tuple[RuleResult, ...]:
        if len(keys) > 1:
            keys = sorted(keys, key=self.order.__getitem__)
        return tuple(self.results[k] for k in keys)


_INDEXES: dict[str, _Index] = {}
_KEPT_PLANS = 4096


def _index(ruleset: RuleSet) -> _Index:
    found = _INDEXES.get(ruleset.engine_name)
    if found is None:
        found = _INDEXES[ruleset.engine_name] = _Index(ruleset)
    return found


_NO_DEADLINES: Mapping[str, date] = MappingProxyType({})


def _decide(
    ruleset: RuleSet, index: _Index, checked: CheckedFacts, tally: Tally, as_of: date
) -> Decision:
    fired = set(tally.fired)
    passed_keys = [
        k
        for check in Check
        if check in checked.checks
        for k in index.checkable[check]
        if k not in fired
    ]
    eligible: bool | None = None
    earliest = None
    if Check.APPLICATION in checked.checks:
        eligible = not tally.refusals
        since = checked.application["service_system_since"]
        assert isinstance(since, date)
        earliest = earliest_application(ruleset, since)
    certified: bool | None = None
    band: str | None = None
    fail_reasons = index.sorted_results(tally.fails)
    score = checked.score
    if score is not None:
        if len(tally.bands) != 1:
            raise EngineError(
                f"{ruleset.label}: {len(tally.bands)} bands fired "
                f"({', '.join(tally.bands) or 'none'}); exactly one must"
            )
        band_rule = index.rules[tally.bands[0]]
        if band_rule.id == "none" and not tally.fails:
            fail_reasons = (index.results[band_rule.key],)
        certified = not tally.fails and band_rule.id != "none"
        band = band_rule.id if certified else None
    if eligible is False:
        outcome = "ineligible"
    elif certified is not None:
        outcome = "certified" if certified else "not_certified"
    else:
        outcome = "eligible"
    deadlines = index.deadlines(as_of) if certified else _NO_DEADLINES
    return Decision(
        outcome=outcome,
        checks=tuple(c.value for c in Check if c in checked.checks),
        eligible=eligible,
        certified=certified,
        failures=index.sorted_results(tally.refusals),
        notes=index.sorted_results(tally.notes),
        passed=tuple(index.results[k] for k in passed_keys),  # already in rule order
        fired=tuple(r.rule for r in index.sorted_results(tally.fired)),
        earliest_application=earliest,
        achieved_points=score_decimal(score.achieved) if score else None,
        applicable_points=score_decimal(score.applicable) if score else None,
        normalised_score=score_decimal(score.normalised) if score else None,
        final_score=score_decimal(score.final) if score else None,
        band=band,
        fail_reasons=fail_reasons,
        special_deductions=score.deductions if score else (),
        special_bonus=score.bonus if score else None,
        lifecycle=index.lifecycle,
        deadlines=deadlines,
        as_of=as_of,
        ruleset=ruleset.name,
        version=ruleset.version,
        content_hash=ruleset.content_hash,
        source=ruleset.source,
    )

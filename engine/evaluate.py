"""evaluate(rules, facts, as_of) → Decision: check facts, assert them once, read what fired."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol

from engine.canonical import Canon, canonical
from engine.decision import Decision, RuleResult, score_decimal
from engine.fact_plan import FactPlan
from engine.facts import CheckedFacts, check_facts, earliest_application, flat_fact, in_calendar
from engine.memo import DecisionMemo
from engine.outcomes import DEFAULT_OUTCOMES, RuleKind, Tally
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
    facts: Mapping[str, Any] | Canon,
    as_of: date,
    *,
    checks: Collection[str] | None = None,
    backend: Backend | None = None,
    memo: DecisionMemo | None = None,
) -> Decision:
    """Decide on `facts` by the version in force on `as_of`.

    `checks` names the parts wanted ("application", "scoring"); every fact of those parts is then
    required. Without it, the parts whose facts are present are checked. `facts` may come
    prepared (engine.canonical.prepared) when they are decided on more than once. With a `memo`,
    facts already decided on by this version, as of this date, are answered from it.
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
    index = _index(ruleset)
    plan = index.plan
    given: Mapping[str, Any]
    if isinstance(facts, Canon):
        canon: Canon | None = facts
        given = facts.raw
    else:
        given = facts
        canon = canonical(facts)
    checked = key = None
    if canon is not None:
        resolved = plan.resolve(canon, checks)
        if memo is not None:
            key = memo.key(ruleset, as_of, resolved, canon)
            found = memo.get(key)
            if found is not None:
                return found
        checked = plan.check(canon, resolved)
    if checked is None:  # facts the fast path does not take: checked here, problems named
        checked = check_facts(ruleset, given, checks)
        fact = flat_fact(ruleset, checked)
    else:
        fact = plan.flat(checked, canon)
    in_calendar("as_of", as_of)  # deadlines are counted from it
    tally = Tally()
    outcomes = ruleset.outcomes
    rule_outcome = index.outcome

    def on_fire(key: str) -> None:
        tally.fired.append(key)
        outcomes[rule_outcome[key]].action(tally, key)

    backend.fire(ruleset, fact, on_fire)
    decision = _decide(ruleset, index, checked, tally, as_of)
    if key is not None and memo is not None:
        memo.put(key, decision)
    return decision


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
        self.explained: dict[tuple[Any, ...], _Said] = {}
        self.plan = FactPlan(ruleset)

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

    def explain(self, ruleset: RuleSet, checks: frozenset[Check], tally: Tally) -> _Said:
        return _explain(self, ruleset, checks, tally)

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
    key: tuple[Any, ...]
    if ruleset.outcomes is DEFAULT_OUTCOMES:  # their actions file each rule by its outcome
        key = (checked.checks, *tally.fired)
    else:
        key = (
            checked.checks,
            tuple(tally.fired),
            tuple(tally.refusals),
            tuple(tally.notes),
            tuple(tally.fails),
            tuple(tally.bands),
        )
    said = index.explained.get(key)
    if said is None:
        said = index.explain(ruleset, checked.checks, tally)
        if len(index.explained) >= _KEPT_EXPLANATIONS:
            index.explained.clear()
        index.explained[key] = said
    earliest = None
    if said.eligible is not None:
        since = checked.application["service_system_since"]
        assert isinstance(since, date)
        earliest = earliest_application(ruleset, since)
    score = checked.score
    return Decision(
        outcome=said.outcome,
        checks=said.checks,
        eligible=said.eligible,
        certified=said.certified,
        failures=said.failures,
        notes=said.notes,
        passed=said.passed,
        fired=said.fired,
        earliest_application=earliest,
        achieved_points=score_decimal(score.achieved) if score else None,
        applicable_points=score_decimal(score.applicable) if score else None,
        normalised_score=score_decimal(score.normalised) if score else None,
        final_score=score_decimal(score.final) if score else None,
        band=said.band,
        fail_reasons=said.fail_reasons,
        special_deductions=score.deductions if score else (),
        special_bonus=score.bonus if score else None,
        lifecycle=index.lifecycle,
        deadlines=index.deadlines(as_of) if said.certified else _NO_DEADLINES,
        as_of=as_of,
        ruleset=ruleset.name,
        version=ruleset.version,
        content_hash=ruleset.content_hash,
        source=ruleset.source,
    )


class _Said(NamedTuple):
    """What the rules that fired say, whatever the facts' values: the explanation of a Decision.
    The same rules firing say the same thing, so it is worked out once per version."""

    outcome: str
    checks: tuple[str, ...]
    eligible: bool | None
    certified: bool | None
    band: str | None
    failures: tuple[RuleResult, ...]
    notes: tuple[RuleResult, ...]
    passed: tuple[RuleResult, ...]
    fired: tuple[str, ...]
    fail_reasons: tuple[RuleResult, ...]


_KEPT_EXPLANATIONS = 4096


def _explain(index: _Index, ruleset: RuleSet, checks: frozenset[Check], tally: Tally) -> _Said:
    fired = set(tally.fired)
    passed_keys = [
        k for check in Check if check in checks for k in index.checkable[check] if k not in fired
    ]
    eligible: bool | None = None
    if Check.APPLICATION in checks:
        eligible = not tally.refusals
    certified: bool | None = None
    band: str | None = None
    fail_reasons = index.sorted_results(tally.fails)
    if Check.SCORING in checks:
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
    return _Said(
        outcome=outcome,
        checks=tuple(c.value for c in Check if c in checks),
        eligible=eligible,
        certified=certified,
        band=band,
        failures=index.sorted_results(tally.refusals),
        notes=index.sorted_results(tally.notes),
        passed=tuple(index.results[k] for k in passed_keys),  # already in rule order
        fired=tuple(r.rule for r in index.sorted_results(tally.fired)),
        fail_reasons=fail_reasons,
    )

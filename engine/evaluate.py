"""evaluate(rules, facts, as_of) → Decision: check facts, assert them once, read what fired."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from engine.canonical import Canon, canonical
from engine.decision import Decision, RuleResult, score_decimal
from engine.fact_plan import FactPlan
from engine.facts import CheckedFacts, check_facts, earliest_application, flat_fact, in_calendar
from engine.memo import DecisionMemo
from engine.outcomes import DEFAULT_OUTCOMES, RuleKind, Tally
from engine.rule_errors import EngineError, NotInForce
from engine.ruleset import RuleSet
from engine.scoring import Exact
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
    checked = key = None
    quick = None
    if isinstance(facts, Canon):
        canon: Canon | None = facts
        given = facts.raw
    else:
        given = facts
        if memo is None:  # facts in the usual shapes are read, checked and flattened at once
            quick = plan.quick(facts, checks)
        canon = None if quick is not None else canonical(facts)
    if quick is not None:
        checked, fact = quick
    else:
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
            fact = plan.flat(checked, canon.application_fact if canon is not None else None)
    in_calendar("as_of", as_of)  # deadlines are counted from it
    tally: Tally | None = None
    if ruleset.outcomes is DEFAULT_OUTCOMES:
        # Their actions only file each rule under its outcome: which rules fired is all a decision
        # needs, and the tally is made from them when their explanation is first worked out.
        fired: list[str] = []
        backend.fire(ruleset, fact, fired.append)
    else:
        tally = Tally()
        fired = tally.fired
        outcomes = ruleset.outcomes
        rule_outcome = index.outcome

        def on_fire(key: str) -> None:
            fired.append(key)
            outcomes[rule_outcome[key]].action(tally, key)

        backend.fire(ruleset, fact, on_fire)
    decision = _decide(ruleset, index, checked, fired, tally, as_of)
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
        self._earliest: dict[date, date] = {}
        self._applicable: dict[Exact, Decimal] = {}
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

    def earliest(self, ruleset: RuleSet, since: date) -> date:
        """engine.facts.earliest_application, kept: applicants' start dates repeat."""
        found = self._earliest.get(since)
        if found is None:
            if len(self._earliest) >= _KEPT_PLANS:
                self._earliest.clear()
            found = self._earliest[since] = earliest_application(ruleset, since)
        return found

    def applicable(self, points: Exact) -> Decimal:
        """The applicable points as the Decision's Decimal, kept: one per set of exclusions."""
        found = self._applicable.get(points)
        if found is None:
            if len(self._applicable) >= _KEPT_PLANS:
                self._applicable.clear()
            found = self._applicable[points] = score_decimal(points)
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
    ruleset: RuleSet,
    index: _Index,
    checked: CheckedFacts,
    fired: list[str],
    tally: Tally | None,
    as_of: date,
) -> Decision:
    key: tuple[Any, ...]
    if tally is None:  # the default outcomes: the rules fired say it all
        key = (checked.checks, *fired)
    else:
        key = (
            checked.checks,
            tuple(fired),
            tuple(tally.refusals),
            tuple(tally.notes),
            tuple(tally.fails),
            tuple(tally.bands),
        )
    said = index.explained.get(key)
    if said is None:
        if tally is None:
            tally = _replayed(ruleset, index, fired)
        said = index.explain(ruleset, checked.checks, tally)
        if len(index.explained) >= _KEPT_EXPLANATIONS:
            index.explained.clear()
        index.explained[key] = said
    fields = said.fields.copy()  # every field of the Decision, in order: what the rules said
    if said.eligible is not None:
        since = checked.application["service_system_since"]
        assert isinstance(since, date)
        fields["earliest_application"] = index.earliest(ruleset, since)
    score = checked.score
    if score is not None:
        fields["achieved_points"] = score_decimal(score.achieved)
        fields["applicable_points"] = index.applicable(score.applicable)
        normalised = score_decimal(score.normalised)
        fields["normalised_score"] = normalised
        final = score.final  # the normalised score itself unless deductions or a bonus moved it
        fields["final_score"] = normalised if final == score.normalised else score_decimal(final)
        fields["special_deductions"] = score.deductions
        fields["special_bonus"] = score.bonus
    if said.certified:
        fields["deadlines"] = index.deadlines(as_of)
    fields["as_of"] = as_of
    fields["content_hash"] = ruleset.content_hash  # the index is by name, version, hash prefix
    fields["source"] = ruleset.source
    return Decision.made(fields)


def _replayed(ruleset: RuleSet, index: _Index, fired: list[str]) -> Tally:
    """The tally the outcomes' actions make of the rules fired, in firing order."""
    tally = Tally()
    outcomes = ruleset.outcomes
    for key in fired:
        tally.fired.append(key)
        outcomes[index.outcome[key]].action(tally, key)
    return tally


class _Said:
    """What the rules that fired say, whatever the facts' values: the explanation of a Decision,
    and the Decision's fields with it (the rest filled in per decision). The same rules firing
    say the same thing, so it is worked out once per version."""

    __slots__ = ("certified", "eligible", "fields")

    def __init__(self, fields: dict[str, Any]) -> None:
        self.eligible: bool | None = fields["eligible"]
        self.certified: bool | None = fields["certified"]
        self.fields = fields


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
    fields: dict[str, Any] = dict.fromkeys(Decision.__dataclass_fields__)
    fields.update(
        outcome=outcome,
        checks=tuple(c.value for c in Check if c in checks),
        eligible=eligible,
        certified=certified,
        failures=index.sorted_results(tally.refusals),
        notes=index.sorted_results(tally.notes),
        passed=tuple(index.results[k] for k in passed_keys),  # already in rule order
        fired=tuple(r.rule for r in index.sorted_results(tally.fired)),
        band=band,
        fail_reasons=fail_reasons,
        special_deductions=(),
        lifecycle=index.lifecycle,
        deadlines=_NO_DEADLINES,
        ruleset=ruleset.name,
        version=ruleset.version,
    )
    return _Said(fields)

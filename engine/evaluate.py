"""evaluate(rules, facts, as_of) → Decision: check facts, assert them once, read what fired."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date
from types import MappingProxyType
from typing import Any, Protocol

from dateutil.relativedelta import relativedelta

from engine.decision import Decision, RuleResult, score_decimal
from engine.errors import EngineError, NotInForce
from engine.facts import CheckedFacts, check_facts, earliest_application, flat_fact
from engine.outcomes import RuleKind, Tally
from engine.ruleset import Lifecycle, RuleSet
from engine.vocabulary import Check


class Backend(Protocol):
    name: str

    def fire(self, ruleset: RuleSet, fact: dict[str, Any],
             on_fire: Callable[[str], None]) -> None: ...


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
            raise NotInForce(f"{ruleset.label} takes effect on {ruleset.effective_from}, "
                             f"after {as_of}")
    else:
        ruleset = rules.in_force(as_of)
    if backend is None:
        from engine.durable_adapter import default_backend

        backend = default_backend()
    checked = check_facts(ruleset, facts, checks)
    tally = Tally()
    by_key = _rules_by_key(ruleset)
    outcomes = ruleset.outcomes

    def on_fire(key: str) -> None:
        tally.fired.append(key)
        outcomes[by_key[key][0]].action(tally, key)

    backend.fire(ruleset, flat_fact(ruleset, checked), on_fire)
    return _decide(ruleset, checked, tally, as_of)


_BY_KEY: dict[str, dict[str, tuple[str, int]]] = {}


def _rules_by_key(ruleset: RuleSet) -> dict[str, tuple[str, int]]:
    """Rule key → (outcome name, position), cached per rule set content."""
    found = _BY_KEY.get(ruleset.engine_name)
    if found is None:
        found = {r.key: (r.outcome, i) for i, r in enumerate(ruleset.rules)}
        _BY_KEY[ruleset.engine_name] = found
    return found


def _decide(ruleset: RuleSet, checked: CheckedFacts, tally: Tally, as_of: date) -> Decision:
    rules = {r.key: r for r in ruleset.rules}
    order = _rules_by_key(ruleset)

    def results(keys: list[str]) -> tuple[RuleResult, ...]:
        return tuple(RuleResult(k, rules[k].message) for k in sorted(keys, key=lambda k: order[k][1]))

    fired = set(tally.fired)
    checked_rules = [r for r in ruleset.rules if r.check in checked.checks]
    passed = results([r.key for r in checked_rules
                      if r.key not in fired and r.kind is not RuleKind.BAND])
    eligible: bool | None = None
    earliest = None
    if Check.APPLICATION in checked.checks:
        eligible = not tally.refusals
        since = checked.application["service_system_since"]
        assert isinstance(since, date)
        earliest = earliest_application(ruleset, since)
    certified: bool | None = None
    band: str | None = None
    fail_reasons = results(tally.fails)
    score = checked.score
    if score is not None:
        if len(tally.bands) != 1:
            raise EngineError(f"{ruleset.label}: {len(tally.bands)} bands fired "
                              f"({', '.join(tally.bands) or 'none'}); exactly one must")
        band_rule = rules[tally.bands[0]]
        if band_rule.id == "none" and not tally.fails:
            fail_reasons = (RuleResult(band_rule.key, band_rule.message),)
        certified = not tally.fails and band_rule.id != "none"
        band = band_rule.id if certified else None
    if eligible is False:
        outcome = "ineligible"
    elif certified is not None:
        outcome = "certified" if certified else "not_certified"
    else:
        outcome = "eligible"
    deadlines = _deadlines(ruleset.lifecycle, as_of) if certified else {}
    return Decision(
        outcome=outcome,
        checks=tuple(c.value for c in Check if c in checked.checks),
        eligible=eligible,
        certified=certified,
        failures=results(tally.refusals),
        notes=results(tally.notes),
        passed=passed,
        fired=tuple(sorted(fired, key=lambda k: order[k][1])),
        earliest_application=earliest,
        achieved_points=score_decimal(score.achieved) if score else None,
        applicable_points=score_decimal(score.applicable) if score else None,
        normalised_score=score_decimal(score.normalised) if score else None,
        final_score=score_decimal(score.final) if score else None,
        band=band,
        fail_reasons=fail_reasons,
        special_deductions=score.deductions if score else (),
        special_bonus=score.bonus if score else None,
        lifecycle=MappingProxyType(ruleset.lifecycle.as_dict()),
        deadlines=MappingProxyType(deadlines),
        as_of=as_of,
        ruleset=ruleset.name,
        version=ruleset.version,
        content_hash=ruleset.content_hash,
        source=ruleset.source,
    )


def _deadlines(terms: Lifecycle, decided: date) -> dict[str, date]:
    """Deadlines of a certificate decided on `decided` (keys match workflows' DeadlineKind)."""
    due = decided + relativedelta(months=terms.first_surveillance_months)
    expiry = decided + relativedelta(months=terms.validity_months)
    found = {
        "surveillance_window_opens": due - relativedelta(months=terms.surveillance_window_months),
        "surveillance_due": due,
        "recert_reminder": expiry - relativedelta(months=terms.recert_reminder_months),
        "expiry": expiry,
    }
    if terms.restoration_after_expiry_months:
        found["restoration_allowance_ends"] = expiry + relativedelta(
            months=terms.restoration_after_expiry_months)
    return found

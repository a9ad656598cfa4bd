"""Team facts → TeamDecision, by the version in force: the facts asserted once in durable-rules
(engine.durable_adapter, as the criteria are decided), each rule's verdict read from what fired.

Also the team book (every version, which is in force on a date) and the runner of a file's own
examples.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from engine.decision import RuleResult
from engine.rule_errors import EngineError, FactError, NotInForce, Problem, RuleFileError
from engine.team_facts import check_team_facts, flat_team_fact
from engine.team_rules import AuditTimeError, TeamExample, TeamRules, audit_time


class TeamBackend(Protocol):
    def fire(self, ruleset: Any, fact: dict[str, Any], on_fire: Any) -> None: ...


@dataclass(frozen=True)
class TeamDecision:
    accepted: bool
    failures: tuple[RuleResult, ...]  # rules that refuse the team
    notes: tuple[RuleResult, ...]  # rules with the `note` outcome that fired
    passed: tuple[RuleResult, ...]  # rules that did not object, in file order
    as_of: date
    ruleset: str
    version: str
    content_hash: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "failures": [r.to_dict() for r in self.failures],
            "notes": [r.to_dict() for r in self.notes],
            "passed": [r.to_dict() for r in self.passed],
            "as_of": self.as_of.isoformat(),
            "ruleset": self.ruleset,
            "version": self.version,
            "content_hash": self.content_hash,
        }


def evaluate_team(
    rules: TeamRules, facts: Mapping[str, Any], as_of: date, backend: TeamBackend | None = None
) -> TeamDecision:
    """Decide on a team's facts by `rules` (which must be in force on `as_of`)."""
    if as_of < rules.effective_from:
        raise NotInForce(f"{rules.label} takes effect on {rules.effective_from}, after {as_of}")
    checked = check_team_facts(facts)
    fact = flat_team_fact(rules, checked)
    if backend is None:
        from engine.durable_adapter import default_backend

        backend = default_backend()
    fired: list[str] = []
    backend.fire(rules, fact, fired.append)
    hit = set(fired)
    failures = tuple(
        RuleResult(r.key, r.message) for r in rules.rules if r.key in hit and r.outcome != "note"
    )
    notes = tuple(
        RuleResult(r.key, r.message) for r in rules.rules if r.key in hit and r.outcome == "note"
    )
    passed = tuple(RuleResult(r.key, r.message) for r in rules.rules if r.key not in hit)
    return TeamDecision(
        not failures, failures, notes, passed, as_of,
        rules.name, rules.version, rules.content_hash, rules.source,
    )  # fmt: skip


class TeamBook:
    """Every version of one team rule set, oldest first; which one is in force on a date."""

    def __init__(self, versions: Iterable[TeamRules] = ()) -> None:
        self.versions: tuple[TeamRules, ...] = ()
        self.replace(versions)

    def replace(self, versions: Iterable[TeamRules]) -> None:
        ordered = sorted(versions, key=lambda v: v.version_key)
        problems: list[Problem] = []
        names = sorted({v.name for v in ordered})
        if len(names) > 1:
            problems.append(
                Problem(ordered[-1].source, 1, f"team rule sets {', '.join(names)} side by side",
                        "one team rule set per body: give every version the same ruleset name")
            )  # fmt: skip
        for older, newer in itertools.pairwise(ordered):
            if newer.version_key == older.version_key:
                problems.append(
                    Problem(newer.source, 1, f"version {newer.version} is also in {older.source}")
                )
            elif newer.effective_from <= older.effective_from:
                problems.append(
                    Problem(
                        newer.source,
                        newer.effective_line,
                        f"effective date goes backwards: version {newer.version} takes effect on "
                        f"{newer.effective_from}, not after version {older.version} "
                        f"({older.effective_from})",
                        "a later version must take effect later",
                    )
                )
        if problems:
            raise RuleFileError(problems)
        self.versions = tuple(ordered)

    def in_force(self, as_of: date) -> TeamRules:
        starts = [v.effective_from for v in self.versions]
        at = bisect_right(starts, as_of)
        if at == 0:
            first = f"; the first takes effect on {starts[0]}" if starts else ""
            raise NotInForce(f"no team rule version is in force on {as_of}{first}")
        return self.versions[at - 1]


def run_team_examples(
    rules: TeamRules, backend: TeamBackend | None = None
) -> list[tuple[TeamExample, str | None]]:
    """Each example with what differed from its `expect` (None: it passed)."""
    return [(e, _difference(rules, e, backend)) for e in rules.examples]


def _difference(rules: TeamRules, example: TeamExample, backend: TeamBackend | None) -> str | None:
    want = example.expect
    if "audit_time" in example.facts:
        given = example.facts["audit_time"]
        try:
            found = audit_time(
                rules.audit_time,
                str(given.get("kind")),
                _whole(given.get("personnel")),
                _whole(given.get("sites", 1)),
                tuple(given.get("adjust", ())),
            )
        except AuditTimeError as exc:
            return str(exc)
        got: dict[str, Any] = {"days": found.days, "members": found.members}
    else:
        try:
            decision = evaluate_team(rules, example.facts, example.as_of, backend)
        except (FactError, EngineError) as exc:
            return f"evaluation raised {exc}"
        got = {
            "accepted": decision.accepted,
            "failures": sorted(r.rule.split(".", 1)[1] for r in decision.failures),
            "notes": sorted(r.rule.split(".", 1)[1] for r in decision.notes),
        }
    said = []
    for key, value in want.items():
        if key not in got:
            said.append(f"{key} is not what this example decides")
            continue
        wanted: Any = sorted(value) if isinstance(value, list) else value
        if key == "days":
            wanted = Decimal(str(value))
        if got[key] != wanted:
            said.append(f"{key}: expected {wanted}, got {got[key]}")
    return "; ".join(said) or None


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AuditTimeError("personnel/sites", f"expected a whole number, got {value!r}")
    return value

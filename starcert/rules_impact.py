"""What a new rule version would change, case by case, before it is published. Reads only.

- certificates (active, suspended): the band re-derived from the latest scored audit's sheet under
  the new scoring model, against the band the version it follows gives the same sheet (the band
  on record when none is in force before it): up, down, or no longer certified, from the
  certificate's next scored audit; a version whose scoring is unchanged re-bands no one;
- open applications (applied .. awaiting decision): eligibility under the version in force on the
  submission date against the new version. A review is made under the version in force on the
  submission date, so only applications submitted on or after the new effective date are
  actually decided by it; the others are listed as what-if (`decided_by_new` false);
- certificates with open deadlines: the moves the new lifecycle numbers make from the effective
  date on (the same computation the recompute after publishing applies).

The whole database is read in a few queries (score sheets as plain data, no domain objects), the
facts of a case are read once for both versions, decisions take the engine's fast path and a memo
(equal sheets, equal answers), and work goes in batches: 100,000 certificates take seconds, not
minutes (bench/bench_impact.py).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine import Check, EngineError, RuleBook, RuleSet, evaluate
from engine.canonical import prepared
from engine.memo import DecisionMemo
from starcert.rules_adapter import application_facts
from workflows.deadlines import REMINDER_KINDS
from workflows.model import Case, StarLevel, State
from workflows.ports import LifecycleTerms, RuleStamp
from workflows.read_ports import DatabaseReads
from workflows.recompute import deadline_moves

CERTIFIED = (State.ACTIVE, State.SUSPENDED)
WITH_DEADLINES = (State.ACTIVE, State.SUSPENDED, State.EXPIRED)
OPEN_APPLICATION = (State.APPLIED, State.STAGE1, State.STAGE2, State.DECISION)
BAND_ORDER = {
    None: 0,
    StarLevel.QUALIFIED: 1,
    StarLevel.THREE: 2,
    StarLevel.FOUR: 3,
    StarLevel.FIVE: 4,
}
BATCH = 2000
_SCORING, _APPLICATION = (Check.SCORING,), (Check.APPLICATION,)

Progress = Callable[[int], None]  # called with the number of cases just done


@dataclass(frozen=True)
class CaseChange:
    case_id: int
    number: str | None
    holder: str
    state: str
    change: str  # band_up, band_down, no_longer_certified, newly_certified, eligible_to_ineligible,
    #              ineligible_to_eligible, deadlines_moved, not_evaluable
    before: str
    after: str
    detail: str = ""
    decided_by_new: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "number": self.number,
            "holder": self.holder,
            "state": self.state,
            "change": self.change,
            "before": self.before,
            "after": self.after,
            "detail": self.detail,
            "decided_by_new": self.decided_by_new,
        }


@dataclass
class Impact:
    new: str  # "gbt27922 2"
    effective_from: date
    certificates: int = 0
    applications: int = 0
    with_deadlines: int = 0
    decisions: int = 0  # rule evaluations made
    changes: list[CaseChange] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(c.change for c in self.changes).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "effective_from": self.effective_from.isoformat(),
            "certificates": self.certificates,
            "open_applications": self.applications,
            "certificates_with_deadlines": self.with_deadlines,
            "counts": self.counts,
            "changes": [c.to_dict() for c in self.changes],
        }


def terms_of(ruleset: RuleSet) -> LifecycleTerms:
    lc = ruleset.lifecycle
    return LifecycleTerms(
        lc.validity_months, lc.first_surveillance_months, lc.surveillance_interval_months,
        lc.surveillance_window_months, lc.suspension_limit_months, lc.recert_reminder_months,
        lc.restoration_after_expiry_months, RuleStamp(ruleset.version, ruleset.content_hash),
    )  # fmt: skip


def impact(
    reads: DatabaseReads,
    current: RuleBook,
    new: RuleSet,
    *,
    now: datetime,
    zone: ZoneInfo,
    progress: Progress | None = None,
) -> Impact:
    """Every certificate and open application that `new` would change, with the change."""
    report = Impact(f"{new.name} {new.version}", new.effective_from)
    tick = progress or (lambda n: None)
    memo = DecisionMemo()  # sheets and applications alike are often decided alike
    by_state: dict[State, list[Case]] = defaultdict(list)
    for case in reads.cases():
        by_state[case.state].append(case)
    certified = [c for s in CERTIFIED for c in by_state[s]]
    report.certificates = len(certified)
    sheets = reads.latest_sheets_plain()  # plain data: no domain objects per sheet
    prior = _in_force_before(current, new.effective_from)
    rescoring = prior is None or _scoring_of(prior) != _scoring_of(new)
    for batch in _batches(certified):
        for case in batch:
            if rescoring:
                _rescore(report, case, sheets.get(_id(case)), new, prior, memo)
        tick(len(batch))
    applying = [c for s in OPEN_APPLICATION for c in by_state[s]]
    report.applications = len(applying)
    applications = reads.applications({c.application_id for c in applying})
    for batch in _batches(applying):
        for case in batch:
            facts = application_facts(applications[case.application_id])
            _recheck(report, case, facts, current, new, memo)
        tick(len(batch))
    dated = [c for s in WITH_DEADLINES for c in by_state[s]]
    report.with_deadlines = len(dated)
    open_rows = reads.deadlines_by_case()
    done_rows = reads.deadlines_by_case(done_of_kinds=REMINDER_KINDS)
    terms = terms_of(new)
    for batch in _batches(dated):
        for case in batch:
            moves = deadline_moves(
                case, open_rows.get(_id(case), ()), terms, new.effective_from, zone,
                done_rows.get(_id(case), ()),
            )  # fmt: skip
            if moves:
                report.changes.append(
                    _change(
                        case,
                        "deadlines_moved",
                        ", ".join(f"{m.kind} {m.before or '-'}" for m in moves),
                        ", ".join(f"{m.kind} {m.after or '-'}" for m in moves),
                        "; ".join(m.words() for m in moves),
                    )
                )
        tick(len(batch))
    report.changes.sort(key=lambda c: (c.change, c.case_id))
    return report


def total_work(reads: DatabaseReads) -> int:
    """How many cases impact() walks (for a progress bar's total)."""
    wanted = {str(s) for s in (*CERTIFIED, *OPEN_APPLICATION, *WITH_DEADLINES)}
    certified = {str(s) for s in CERTIFIED}
    return sum((state in wanted) + (state in certified) for state in reads.case_states())


def _in_force_before(current: RuleBook, day: date) -> RuleSet | None:
    """The version the new one follows: in force the day before it takes effect, if any."""
    try:
        return current.in_force(day - timedelta(days=1))
    except EngineError:
        return None


def _scoring_of(ruleset: RuleSet) -> tuple[Any, ...]:
    """What a score's verdict depends on: two versions equal here band every sheet alike."""
    rules = tuple(
        (r.key, r.outcome, r.message, r.fires_when)
        for r in ruleset.rules
        if r.check is Check.SCORING
    )
    return (ruleset.scoring, ruleset.bands, rules)


def _rescore(
    report: Impact,
    case: Case,
    sheet: Any,
    new: RuleSet,
    prior: RuleSet | None,
    memo: DecisionMemo,
) -> None:
    """The band the new version gives the latest scored sheet, against the one the version it
    follows gives it (the band on record when none is in force before): only what this version
    changes, and only at the certificate's next scored audit, which re-bands it."""
    if sheet is None:
        return
    facts = prepared({"score_sheet": sheet})
    try:
        decision = evaluate(new, facts, new.effective_from, checks=_SCORING, memo=memo)
        earlier = (
            None
            if prior is None
            else evaluate(prior, facts, prior.effective_from, checks=_SCORING, memo=memo)
        )
    except EngineError as exc:  # the new model no longer fits the sheet (an indicator renamed)
        report.changes.append(_change(case, "not_evaluable", _band(case.star_level), "?", str(exc)))
        return
    report.decisions += 1 if earlier is None else 2
    after = StarLevel(decision.band) if decision.certified and decision.band else None
    if earlier is None:
        before = case.star_level
    else:
        before = StarLevel(earlier.band) if earlier.certified and earlier.band else None
    if after == before:
        return
    if after is None:
        kind = "no_longer_certified"
    elif before is None:
        kind = "newly_certified"
    else:
        kind = "band_up" if BAND_ORDER[after] > BAND_ORDER[before] else "band_down"
    why = "; ".join(r.message for r in decision.fail_reasons)
    was = case.final_score if earlier is None else earlier.final_score
    detail = (
        f"final score {was} -> {decision.final_score}"
        + (f" ({why})" if why else "")
        + "; at its next scored audit"
    )
    report.changes.append(_change(case, kind, _band(before), _band(after), detail))


def _recheck(
    report: Impact,
    case: Case,
    facts: dict[str, Any],
    current: RuleBook,
    new: RuleSet,
    memo: DecisionMemo,
) -> None:
    submitted: date = facts["application_date"]
    ready = prepared(facts)
    try:
        old = evaluate(current, ready, submitted, checks=_APPLICATION, memo=memo)
        now = evaluate(new, ready, new.effective_from, checks=_APPLICATION, memo=memo)
    except EngineError as exc:
        report.changes.append(_change(case, "not_evaluable", "?", "?", str(exc)))
        return
    report.decisions += 2
    if bool(old.eligible) == bool(now.eligible):
        return
    kind = "eligible_to_ineligible" if old.eligible else "ineligible_to_eligible"
    detail = "; ".join(f.message for f in now.failures) or "every prerequisite holds"
    report.changes.append(
        _change(
            case,
            kind,
            "eligible" if old.eligible else "ineligible",
            "eligible" if now.eligible else "ineligible",
            detail,
            decided_by_new=submitted >= new.effective_from,
        )
    )


def _change(
    case: Case, kind: str, before: str, after: str, detail: str, decided_by_new: bool = True
) -> CaseChange:
    return CaseChange(
        _id(case),
        case.number,
        case.holder,
        str(case.state),
        kind,
        before,
        after,
        detail,
        decided_by_new,
    )


def _band(level: StarLevel | None) -> str:
    return "not certified" if level is None else str(level)


def _id(case: Case) -> int:
    assert case.id is not None
    return case.id


def _batches(items: Sequence[Case]) -> Iterator[Sequence[Case]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]

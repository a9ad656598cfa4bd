"""Random operator commands and clock jumps, with a daemon firing whatever falls due.

Invariants after every step: each case's trail is a verifying hash chain with exactly one event
per state change; a withdrawn, cancelled or refused case never moves again; an expired one only
comes back through restore_after_expiry; and once due deadlines have fired, no suspension is past
its limit, no active certificate is past its expiry and no surveillance is overdue unnoticed,
no active certificate has a major finding open past its period (closures, decisions and
sanctions dated back too), and every version of every certificate (changes, transfers in, renewals) is traceable on its trail.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule
from lifecycle_doubles import SHANGHAI, START, PlainRules, credit_code, sheet_scoring
from lifecycle_steps import OPERATOR, Office

from storage.memory.memory_store import MemoryStore
from workflows import commands as c
from workflows.audit_trail import verify_log
from workflows.case_service import CaseService
from workflows.certificate_versions import CHANGED, ISSUED, versioned_number, versions
from workflows.deadlines import (
    due_at,
    next_surveillance_due,
    restoration_ends,
    suspension_limit,
)
from workflows.errors import IllegalTransition, InvalidInput
from workflows.fake_clock import FakeClock
from workflows.findings import FindingNotFound, Severity, open_majors, overdue_open
from workflows.model import TERMINAL_STATES, StarLevel, State, SuspensionCause

MAX_CASES = 4
scores = st.integers(min_value=60, max_value=100)
backs = st.none() | st.integers(0, 400)  # a change dated today, or entered that many days late
scopes = st.sampled_from(["家电售后服务", "冰箱售后服务", "家电及厨电售后服务"])


class LifecycleUnderRandomUse(RuleBasedStateMachine):
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.rules = PlainRules()
        self.store = MemoryStore()
        self.clock = FakeClock(START)
        case_service = CaseService(self.store.uow, self.rules, self.clock, SHANGHAI)
        self.office = Office(case_service, self.store.uow, self.clock)
        self.count = 0
        self.refusals = 0

    def command(self, case_id: int, command: c.Command) -> None:
        """An operator command: applied whole, or refused with nothing written; then the daemon."""
        before = self.office.snapshot(case_id)
        try:
            self.office.case_service.handle(command)
        except (IllegalTransition, InvalidInput, FindingNotFound):
            self.refusals += 1
            assert self.office.snapshot(case_id) == before
        self.office.fire_due()

    @precondition(lambda self: self.count < MAX_CASES)
    @rule(target=cases)
    def apply(self) -> int:
        self.count += 1
        case_id = self.office.apply()
        self.office.fire_due()
        return case_id

    @precondition(lambda self: self.count < MAX_CASES)
    @rule(target=cases, score=scores)
    def apply_and_get_certified(self, score: int) -> int:
        """The usual path, a few days per step (without it few random walks reach a decision)."""
        case_id = self.apply()
        self.review(case_id)
        self.clock.advance(timedelta(days=7))
        self.stage1(case_id)
        self.clock.advance(timedelta(days=14))
        self.stage2(case_id, score)
        self.clock.advance(timedelta(days=3))
        self.decide(case_id)
        return case_id

    @rule(case=cases, score=scores)
    def natural_next_step(self, case: int, score: int) -> None:
        """What an operator would usually do next for the case as it stands."""
        with self.store.uow() as uow:
            state = uow.cases.get(case).state
        if state is State.APPLIED:
            self.review(case)
        elif state is State.STAGE1:
            self.stage1(case)
        elif state is State.STAGE2:
            self.stage2(case, score)
        elif state is State.DECISION:
            self.decide(case)
        elif state in (State.ACTIVE, State.SUSPENDED):
            self.surveil(case, score)
            self.restore(case)
        elif state is State.EXPIRED:
            self.recertify(case, score)

    @rule(case=cases)
    def review(self, case: int) -> None:
        self.command(case, c.ReviewApplication(case, OPERATOR))

    @rule(case=cases)
    def stage1(self, case: int) -> None:
        self.command(case, c.RecordStage1(case, self.office.today, "auditor", OPERATOR))

    @rule(case=cases, score=scores)
    def stage2(self, case: int, score: int) -> None:
        sheet = sheet_scoring(score)
        self.command(case, c.RecordStage2(case, self.office.today, "auditor", sheet, OPERATOR))

    @rule(case=cases, back=backs)
    def decide(self, case: int, back: int | None = None) -> None:
        self.command(case, c.Decide(case, OPERATOR, self.dated(back)))

    @rule(case=cases, score=scores)
    def surveil(self, case: int, score: int) -> None:
        sheet = sheet_scoring(score)
        self.command(case, c.RecordSurveillance(case, self.office.today, "a", sheet, OPERATOR))

    @rule(case=cases, score=scores)
    def recertify(self, case: int, score: int) -> None:
        sheet = sheet_scoring(score)
        self.command(case, c.RecordRecertification(case, self.office.today, "a", sheet, OPERATOR))

    @rule(case=cases, score=st.none() | scores)
    def special_audit(self, case: int, score: int | None) -> None:
        sheet = None if score is None else sheet_scoring(score)
        self.command(case, c.RecordSpecialAudit(case, self.office.today, "a", sheet, OPERATOR))

    @rule(case=cases, cause=st.sampled_from(SuspensionCause), back=backs)
    def suspend(self, case: int, cause: SuspensionCause, back: int | None = None) -> None:
        on = self.dated(back)
        self.command(case, c.Suspend(case, cause, "operator decision", OPERATOR, on))

    @rule(case=cases, back=backs)
    def restore(self, case: int, back: int | None = None) -> None:
        self.command(case, c.Restore(case, "cause cleared", OPERATOR, self.dated(back)))

    @rule(case=cases, back=backs)
    def withdraw(self, case: int, back: int | None = None) -> None:
        self.command(case, c.Withdraw(case, "withdrawn by the body", OPERATOR, self.dated(back)))

    @rule(case=cases, back=backs)
    def cancel(self, case: int, back: int | None = None) -> None:
        self.command(case, c.Cancel(case, "client cancels", OPERATOR, self.dated(back)))

    def dated(self, back: int | None) -> date | None:
        """Today (None), or a change entered late, dated `back` days ago: refused before the
        case's last event (or a decision's stage 2 audit or major finding's closure); what fell
        due after that day the daemon fires next."""
        return None if back is None else self.office.today - timedelta(days=back)

    @rule(case=cases)
    def expire(self, case: int) -> None:
        self.command(case, c.Expire(case, OPERATOR))

    # --- certificate changes ------------------------------------------------------------------

    @rule(case=cases, scope=scopes)
    def request_scope_extension(self, case: int, scope: str) -> None:
        self.command(case, c.RequestScopeExtension(case, scope, OPERATOR))

    @rule(case=cases)
    def extend_scope(self, case: int) -> None:
        self.command(case, c.ExtendScope(case, OPERATOR))

    @rule(case=cases, scope=scopes, days=st.integers(min_value=0, max_value=60))
    def scope_extended_after_a_special_audit(self, case: int, scope: str, days: int) -> None:
        """The usual path of an extension: the request, a special audit, the decision."""
        self.request_scope_extension(case, scope)
        self.clock.advance(timedelta(days=days))
        self.office.fire_due()  # the daemon runs meanwhile
        self.special_audit(case, None)
        self.extend_scope(case)

    @rule(case=cases, scope=scopes)
    def reduce_scope(self, case: int, scope: str) -> None:
        self.command(case, c.ReduceScope(case, scope, "part of the scope failed", OPERATOR))

    @rule(case=cases, same_entity=st.booleans(), name=st.sampled_from(["新名称", "Renamed Co"]))
    def change_holder(self, case: int, same_entity: bool, name: str) -> None:
        with self.store.uow() as uow:
            own = uow.organisations.get(uow.cases.get(case).organisation_id).credit_code
        code = own if same_entity else credit_code(999)
        self.command(case, c.ChangeHolder(case, name, code, OPERATOR, address="福州"))

    @rule(
        case=cases,
        cycle_age=st.integers(min_value=0, max_value=1000),
        left=st.integers(min_value=-30, max_value=1000),
        surveilled=st.integers(min_value=0, max_value=2),
        status=st.sampled_from(["active", "active", "suspended", "withdrawn", "expired"]),
    )
    def transfer_in(
        self, case: int, cycle_age: int, left: int, surveilled: int, status: str
    ) -> None:
        """Another body's certificate, its cycle `cycle_age` days old with `left` days to run."""
        today = self.office.today
        decided = today - timedelta(days=cycle_age)
        last = decided + timedelta(days=min(cycle_age, 300)) if surveilled else None
        transfer = c.TransferIn(
            case, "CQC", "CQC-SV-1", status, decided, today + timedelta(days=left),
            StarLevel.THREE, OPERATOR, surveilled, last,
        )  # fmt: skip
        self.command(case, transfer)

    @rule(case=cases, offset=st.integers(min_value=-20, max_value=40))
    def time_runs_to_the_next_obligation(self, case: int, offset: int) -> None:
        """Jump to around the case's next dated obligation: surveillance, limit, expiry."""
        terms = self.rules.terms(self.office.today)
        with self.store.uow() as uow:
            current = uow.cases.get(case)
        target = None
        if current.state is State.ACTIVE:
            target = next_surveillance_due(current, terms) or current.expires_on
        elif current.state is State.SUSPENDED and current.suspended_on is not None:
            target = suspension_limit(current.suspended_on, terms)
        elif current.state is State.EXPIRED and current.expires_on is not None:
            target = restoration_ends(current.expires_on, terms)
        if target is None:
            return
        moment = due_at(target - timedelta(days=offset), SHANGHAI) + timedelta(hours=3)
        if moment > self.clock.now():
            self.clock.set(moment)
        self.office.fire_due()

    @rule(case=cases, offset=st.integers(min_value=-20, max_value=40), score=scores)
    def surveilled_on_time_to_the_end(self, case: int, offset: int, score: int) -> None:
        """Every surveillance ten days early, then time runs to around the expiry date."""
        terms = self.rules.terms(self.office.today)
        for _ in range(5):
            with self.store.uow() as uow:
                current = uow.cases.get(case)
            due = next_surveillance_due(current, terms)
            if current.state is not State.ACTIVE or due is None:
                break
            self.clock.set(max(self.clock.now(), due_at(due - timedelta(days=11), SHANGHAI)))
            self.office.fire_due()
            self.surveil(case, score)
        with self.store.uow() as uow:
            current = uow.cases.get(case)
        if current.state is State.ACTIVE and current.expires_on is not None:
            self.clock.set(
                max(self.clock.now(), due_at(current.expires_on - timedelta(days=offset), SHANGHAI))
            )
            self.office.fire_due()

    @rule(case=cases, severity=st.sampled_from(Severity))
    def record_finding(self, case: int, severity: Severity) -> None:
        """A finding on the case's latest audit (none yet: refused, nothing written)."""
        with self.store.uow() as uow:
            audits = uow.audits.for_case(case)
        audit_id = audits[-1].id if audits else 0
        assert audit_id is not None
        self.command(case, c.RecordFinding(case, audit_id, severity, "repair", "found", "a"))

    @rule(case=cases, number=st.integers(1, 3))
    def respond_to_finding(self, case: int, number: int) -> None:
        today = self.office.today
        self.command(case, c.RespondToFinding(case, number, "c", "fix", "plan", today, OPERATOR))

    @rule(case=cases, number=st.integers(1, 3), back=st.none() | st.integers(0, 40))
    def close_finding(self, case: int, number: int, back: int | None = None) -> None:
        """Closed today, or entered late and dated `back` days ago (refused before what it
        follows: the response, the case's last event)."""
        on = None if back is None else self.office.today - timedelta(days=back)
        self.command(case, c.CloseFinding(case, number, "a", on))

    @rule(case=cases, number=st.integers(1, 3))
    def reject_finding_response(self, case: int, number: int) -> None:
        self.command(case, c.RejectFindingResponse(case, number, "not enough", "a"))

    @rule(case=cases)
    def correct_every_finding(self, case: int) -> None:
        """The client answers every open finding today and an auditor closes each."""
        with self.store.uow() as uow:
            numbers = [f.number for f in uow.findings.for_case(case)]
        for number in numbers:
            self.respond_to_finding(case, number)
            self.close_finding(case, number)

    @rule(case=cases, offset=st.integers(min_value=-3, max_value=3))
    def time_runs_to_a_findings_due_day(self, case: int, offset: int) -> None:
        with self.store.uow() as uow:
            due = [f.due_on for f in open_majors(uow.findings.for_case(case)) if f.due_on]
        if due:
            moment = due_at(min(due) + timedelta(days=offset), SHANGHAI) - timedelta(hours=1)
            self.clock.set(max(self.clock.now(), moment))
            self.office.fire_due()

    @rule(days=st.integers(min_value=1, max_value=420), hours=st.integers(0, 23))
    def time_passes(self, days: int, hours: int) -> None:
        """The clock jumps (a daemon down, or simply time); due deadlines catch up in order."""
        self.clock.advance(timedelta(days=days, hours=hours))
        self.office.fire_due()

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def trails_are_whole_verifying_chains(self) -> None:
        with self.store.uow() as uow:
            report = verify_log(uow.events, case_row=uow.cases.get)
            assert report.ok, str(report.broken)  # every field of every row is its trail's
            for case in uow.cases.list():
                assert case.id is not None
                events = uow.events.for_case(case.id)
                assert events[0].from_state is None and events[0].to_state is State.APPLIED
                for earlier, later in pairwise(events):
                    assert later.from_state == earlier.to_state  # no change without its event
                assert events[-1].to_state is case.state

    @invariant()
    def finished_cases_stay_finished(self) -> None:
        with self.store.uow() as uow:
            for case_id in uow.events.all_case_ids():
                for event in uow.events.for_case(case_id):
                    if event.from_state in TERMINAL_STATES:
                        assert event.to_state is event.from_state, event
                    if event.from_state is State.EXPIRED and event.to_state is not State.EXPIRED:
                        assert event.trigger == "restore_after_expiry", event
                        assert event.to_state is State.ACTIVE

    @invariant()
    def every_certificate_version_is_traceable_on_the_trail(self) -> None:
        with self.store.uow() as uow:
            for case in uow.cases.list():
                assert case.id is not None
                events = uow.events.for_case(case.id)
                listed = versions(events)
                made = [e.seq for e in events if e.trigger in ISSUED | CHANGED]
                assert [v.seq for v in listed] == made  # each version is one event
                shown = [v.number for v in listed]
                assert len(set(shown)) == len(shown)  # no two versions share a number
                if case.number is None:
                    assert not listed
                    continue
                assert shown[-1] == versioned_number(case.number, case.amendments)
                for earlier, later in pairwise(listed):
                    if later.trigger in CHANGED:
                        assert later.amendment == earlier.amendment + 1

    @invariant()
    def no_deadline_is_left_unfired(self) -> None:
        today = self.office.today
        terms = self.rules.terms(today)
        with self.store.uow() as uow:
            for case in uow.cases.list():
                if case.state is State.SUSPENDED:
                    assert case.suspended_on is not None
                    assert today <= suspension_limit(case.suspended_on, terms), case
                if case.state in (State.ACTIVE, State.SUSPENDED):
                    assert case.expires_on is not None and today <= case.expires_on, case
                if case.state is State.ACTIVE:
                    due = next_surveillance_due(case, terms)
                    assert due is None or today <= due, case
                    assert case.id is not None
                    late = overdue_open(uow.findings.for_case(case.id), today)
                    assert not late, (case, late)


LifecycleUnderRandomUse.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestLifecycleUnderRandomUse = LifecycleUnderRandomUse.TestCase

"""FireDeadline: late firings, anchoring, obsolete deadlines, races and all-or-nothing writes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from lifecycle_doubles import SHANGHAI, PlainRules, sheet_scoring
from lifecycle_steps import OPERATOR, Office

from storage.memory.memory_store import MemoryStore, MemoryUnitOfWork
from workflows import commands as c
from workflows.case_service import CaseService
from workflows.deadlines import due_at
from workflows.errors import ConcurrencyConflict, IllegalTransition
from workflows.fake_clock import FakeClock
from workflows.handlers.deadline_firing import DEADLINE_OBSOLETE
from workflows.model import Deadline, DeadlineKind, State, SuspensionCause


def test_a_late_surveillance_deadline_suspends_from_its_domain_date(office: Office) -> None:
    case_id = office.certify()  # decided 2024-02-14: surveillance due 2025-02-14
    office.clock.set(datetime(2025, 3, 1, 3, 0, tzinfo=UTC))  # the daemon was down for weeks
    results = office.fire_due()
    assert [r.events[0].trigger for r in results] == ["remind", "suspend"]
    window, overdue = (r.events[0] for r in results)
    assert window.data["deadline"]["kind"] == "surveillance_window_opens"
    assert window.data["deadline"]["late"] is True
    assert overdue.data["deadline"] == {
        "id": overdue.data["deadline"]["id"],
        "kind": "surveillance_due",
        "due_on": "2025-02-14",
        "due_at": "2025-02-14T16:00:00+00:00",
        "fired_at": "2025-03-01T03:00:00+00:00",
        "late": True,
    }
    assert overdue.reason == "surveillance due on 2025-02-14 was not done"
    assert overdue.actor == "scheduler" and overdue.rule_version == "test-2024.1"
    case = office.snapshot(case_id).case
    assert case.state is State.SUSPENDED
    assert case.suspension_cause is SuspensionCause.OVERDUE_SURVEILLANCE
    assert case.suspended_on == date(2025, 2, 15)  # not the firing day
    assert office.open_deadlines(case_id)["suspension_limit"] == date(2025, 8, 15)


def test_a_deadline_fires_once(office: Office) -> None:
    case_id = office.certify()
    office.clock.set(datetime(2025, 3, 1, tzinfo=UTC))
    fired = [r.events[0].data["deadline"]["id"] for r in office.fire_due()]
    assert len(fired) == 2
    events = office.snapshot(case_id).events
    for deadline_id in fired:
        result = office.case_service.handle(c.FireDeadline(deadline_id, case_id))
        assert result.events == () and "not open" in result.note
    assert office.snapshot(case_id).events == events


def test_the_surveillance_after_a_late_one_is_anchored_to_the_decision(office: Office) -> None:
    case_id = office.certify()
    office.until(date(2025, 3, 10))  # overdue on 2025-02-15, suspended
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "zhao.lei", sheet_scoring(88), OPERATOR)
    )
    office.case_service.handle(c.Restore(case_id, "surveillance done", OPERATOR))
    case = office.snapshot(case_id).case
    assert case.state is State.ACTIVE and case.last_surveillance_on == date(2025, 3, 10)
    # the decision's anniversary, not 12 months after the late surveillance (2026-03-10)
    assert office.open_deadlines(case_id)["surveillance_due"] == date(2026, 2, 14)


def test_a_suspension_past_its_limit_is_withdrawn_by_the_deadline(office: Office) -> None:
    case_id = office.certify()
    office.until(date(2025, 8, 15))
    assert office.snapshot(case_id).case.state is State.SUSPENDED  # last day of the limit
    office.until(date(2025, 8, 16))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.WITHDRAWN
    assert snap.events[-1].trigger == "withdraw"
    assert snap.events[-1].reason == "suspension since 2025-02-15 passed its limit 2025-08-15"
    assert snap.deadlines == ()


def test_a_late_surveillance_entered_before_the_daemon_fired_finds_the_case_suspended(
    office: Office,
) -> None:
    """The outcome is a daemon's that never stopped: the audit's date, not when it was typed in."""
    case_id = office.certify()  # surveillance due 2025-02-14
    office.clock.set(datetime(2025, 2, 20, 3, 0, tzinfo=UTC))  # the daemon was down
    result = office.case_service.handle(
        c.RecordSurveillance(case_id, date(2025, 2, 20), "a", sheet_scoring(88), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert [(e.trigger, e.actor) for e in snap.events[-3:]] == [
        ("remind", f"catch-up:{OPERATOR}"),
        ("suspend", f"catch-up:{OPERATOR}"),
        ("note_audit", OPERATOR),
    ]
    assert snap.events[-2].reason == "surveillance due on 2025-02-14 was not done"
    assert result.state is State.SUSPENDED and snap.case.surveillances == 0
    assert snap.case.suspension_cause is SuspensionCause.OVERDUE_SURVEILLANCE
    restored = office.case_service.handle(c.Restore(case_id, "audited", OPERATOR))
    assert restored.state is State.ACTIVE
    assert office.snapshot(case_id).case.last_surveillance_on == date(2025, 2, 20)
    assert office.fire_due() == []  # nothing left for the daemon: each deadline fired once


def test_a_surveillance_on_its_due_day_is_credited_with_nothing_fired_first(
    office: Office,
) -> None:
    case_id = office.certify()  # surveillance due 2025-02-14, the window opened 2024-11-14
    office.until(date(2025, 2, 1))
    office.clock.set(datetime(2025, 2, 14, 9, 0, tzinfo=UTC))  # 17:00 in Shanghai, still due
    office.case_service.handle(
        c.RecordSurveillance(case_id, date(2025, 2, 14), "a", sheet_scoring(88), OPERATOR)
    )
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE and snap.case.surveillances == 1
    assert [e.actor for e in snap.events if e.actor.startswith("catch-up:")] == []


def test_restore_after_the_limit_meets_the_withdrawal_a_daemon_would_have_fired(
    office: Office,
) -> None:
    case_id = office.certify()
    office.until(date(2025, 3, 1))
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(88), OPERATOR)
    )
    office.clock.set(datetime(2025, 8, 16, 3, 0, tzinfo=UTC))  # no daemon ran
    asked = office.case_service.may(case_id, "restore", reason="late")
    assert not asked.allowed and asked.why == "suspension limit passed on 2025-08-15"
    with pytest.raises(
        IllegalTransition,
        match=r"is withdrawn: restore refused .*first fired: suspension_limit due 2025-08-15\S+ "
        r"\(withdraw\)",
    ) as refused:
        office.case_service.handle(c.Restore(case_id, "late", OPERATOR))
    from starcert.web.language import speaking
    from starcert.web.reasons import refusal

    with speaking("zh-CN"):  # the console says what was fired first in the page's words
        said = refusal(refused.value)
    assert "暂停期限（2025-08-15T16:00:00+00:00 到期）（撤销）" in said, said
    snap = office.snapshot(case_id)
    assert snap.case.state is State.WITHDRAWN
    assert [(e.trigger, e.actor) for e in snap.events[-1:]] == [
        ("withdraw", f"catch-up:{OPERATOR}")
    ]
    assert snap.events[-1].reason == "suspension since 2025-02-15 passed its limit 2025-08-15"


def test_an_obsolete_deadline_is_marked_done_with_an_event(office: Office) -> None:
    case_id = office.certify()
    stale_due = due_at(date(2024, 6, 1), SHANGHAI)
    with office.new_uow() as uow:  # e.g. left behind by an older schedule
        stale = uow.deadlines.add(Deadline(None, case_id, DeadlineKind.SURVEILLANCE_DUE, stale_due))
        uow.commit()
    assert stale.id is not None
    office.until(date(2024, 6, 3))
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE
    event = snap.events[-1]
    assert event.trigger == DEADLINE_OBSOLETE
    assert event.from_state is State.ACTIVE and event.to_state is State.ACTIVE
    assert event.data["obsolete"] is True and "next due 2025-02-14" in (event.reason or "")
    assert stale.id not in {d.id for d in snap.deadlines}


# --- races: exactly one applies, the other is re-evaluated ---------------------------------------


class RacingUnitOfWork:
    """A uow factory whose first commit lets another writer commit first."""

    def __init__(self, store: MemoryStore, other_writer: Callable[[], object]) -> None:
        self.store = store
        self.other_writer = other_writer
        self.raced = False
        self.opened = 0

    def __call__(self) -> MemoryUnitOfWork:
        self.opened += 1
        uow = self.store.uow()
        if not self.raced:
            commit = uow.commit

            def racing_commit() -> None:
                self.raced = True
                self.other_writer()
                commit()

            uow.commit = racing_commit  # type: ignore[method-assign]
        return uow


def overdue_case(office: Office) -> tuple[int, Deadline]:
    case_id = office.certify()
    office.case_service.handle(
        c.RecordSurveillance(case_id, office.days(1), "a", sheet_scoring(85), OPERATOR)
    )
    # next due 2025-02-14; jump past it without a daemon, its window's reminder fired already
    office.clock.set(datetime(2025, 2, 15, 3, 0, tzinfo=UTC))
    (window,) = [
        d for d in office.snapshot(case_id).deadlines if d.kind == "surveillance_window_opens"
    ]
    assert window.id is not None
    office.case_service.handle(c.FireDeadline(window.id, case_id))
    (due,) = [d for d in office.snapshot(case_id).deadlines if d.kind == "surveillance_due"]
    return case_id, due


def test_operator_wins_the_race_and_the_deadline_is_re_evaluated(
    office: Office, store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    case_id, due = overdue_case(office)
    operator = office.case_service
    racing = RacingUnitOfWork(
        store,
        lambda: operator.handle(
            c.RecordSurveillance(case_id, date(2025, 2, 14), "a", sheet_scoring(95), OPERATOR)
        ),
    )
    scheduler = CaseService(racing, rules, clock, SHANGHAI, number_prefix="ASC")
    assert due.id is not None
    result = scheduler.handle(c.FireDeadline(due.id, case_id))
    assert racing.opened == 2  # the first attempt conflicted and was run again
    assert result.events == () and "not open" in result.note
    snap = office.snapshot(case_id)
    assert snap.case.state is State.ACTIVE
    assert [e.trigger for e in snap.events][-3:] == ["surveil", "remind", "surveil"]


def test_deadline_wins_the_race_and_the_operator_gets_a_conflict_then_retries(
    office: Office, store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    case_id, due = overdue_case(office)
    assert due.id is not None
    deadline_id = due.id
    scheduler = office.case_service
    racing = RacingUnitOfWork(store, lambda: scheduler.handle(c.FireDeadline(deadline_id, case_id)))
    operator = CaseService(racing, rules, clock, SHANGHAI, number_prefix="ASC")
    surveillance = c.RecordSurveillance(
        case_id, date(2025, 2, 15), "a", sheet_scoring(95), OPERATOR
    )
    with pytest.raises(ConcurrencyConflict):
        operator.handle(surveillance)
    assert racing.opened == 1  # an operator's command is not re-run behind their back
    snap = office.snapshot(case_id)
    assert [e.trigger for e in snap.events][-1] == "suspend"  # only the deadline's change landed
    retried = operator.handle(surveillance)  # the operator looks again and retries
    assert retried.state is State.SUSPENDED and retried.events[0].trigger == "note_audit"
    snap = office.snapshot(case_id)
    assert [e.trigger for e in snap.events][-2:] == ["suspend", "note_audit"]
    assert snap.case.suspension_cause is SuspensionCause.OVERDUE_SURVEILLANCE


# --- all or nothing ------------------------------------------------------------------------------


class FailingAppendUnitOfWork:
    """Fails while appending the event, after the case was saved inside the unit of work."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def __call__(self) -> MemoryUnitOfWork:
        uow = self.store.uow()

        def broken_append(event: object) -> object:
            raise OSError("disk full")

        uow.events.append = broken_append  # type: ignore[assignment,method-assign]
        return uow


def test_a_failure_mid_transition_writes_nothing(
    office: Office, store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    case_id = office.certify()
    office.days(10)
    before = office.snapshot(case_id)
    broken = CaseService(FailingAppendUnitOfWork(store), rules, clock, SHANGHAI)
    with pytest.raises(OSError, match="disk full"):
        broken.handle(c.RecordSurveillance(case_id, office.today, "a", sheet_scoring(99), OPERATOR))
    with pytest.raises(OSError, match="disk full"):
        broken.handle(c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "asked", OPERATOR))
    assert office.snapshot(case_id) == before
    assert before.case.state is State.ACTIVE and before.case.star_level is not None


class TermsUnavailable(PlainRules):
    def terms(self, as_of: date):  # type: ignore[no-untyped-def]
        raise ConnectionError("rule store unreachable")


def test_a_rules_failure_inside_the_decision_writes_nothing(
    office: Office, store: MemoryStore, clock: FakeClock
) -> None:
    case_id = office.apply()
    office.case_service.handle(c.ReviewApplication(case_id, OPERATOR))
    office.case_service.handle(c.RecordStage1(case_id, office.days(3), "a", OPERATOR))
    office.case_service.handle(
        c.RecordStage2(case_id, office.days(3), "a", sheet_scoring(90), OPERATOR)
    )
    before = office.snapshot(case_id)
    broken = CaseService(store.uow, TermsUnavailable(), clock, SHANGHAI)
    with pytest.raises(ConnectionError):
        broken.handle(c.Decide(case_id, OPERATOR))
    assert office.snapshot(case_id) == before
    assert before.case.state is State.DECISION


def test_a_deadline_waits_while_an_earlier_one_of_its_case_is_open(office: Office) -> None:
    # Held by another daemon, a dead one's lease or an incident: the earlier goes first.
    case_id = office.certify()
    office.clock.set(datetime(2025, 3, 1, 3, 0, tzinfo=UTC))  # window and due both passed
    rows = {d.kind: d for d in office.snapshot(case_id).deadlines}
    window, due = rows["surveillance_window_opens"], rows["surveillance_due"]
    assert window.id is not None and due.id is not None
    before = office.snapshot(case_id)
    waited = office.case_service.handle(c.FireDeadline(due.id, case_id))
    assert waited.deferred and waited.events == () and f"deadline {window.id}" in waited.note
    assert office.snapshot(case_id) == before  # nothing written, the row still open
    office.case_service.handle(c.FireDeadline(window.id, case_id))
    fired = office.case_service.handle(c.FireDeadline(due.id, case_id))
    assert not fired.deferred and fired.state is State.SUSPENDED
    assert [e.trigger for e in office.snapshot(case_id).events][-2:] == ["remind", "suspend"]

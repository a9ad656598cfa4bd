from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from lifecycle_doubles import PlainRules

from workflows.deadlines import (
    add_months,
    certificate_plan,
    due_at,
    due_day,
    expiry_date,
    next_surveillance_due,
    plan,
    plan_across_versions,
    restoration_ends,
    scheduled_surveillance,
    suspension_limit,
)
from workflows.model import Case, Deadline, DeadlineKind, State
from workflows.ports import LifecycleTerms
from workflows.recompute import deadline_moves

SHANGHAI = ZoneInfo("Asia/Shanghai")
TERMS = PlainRules().terms(date(2024, 1, 1))


def active(decided: date, last: date | None = None, **fields: object) -> Case:
    case = Case(
        id=1, organisation_id=1, application_id=1, state=State.ACTIVE, holder="h", scope="s",
        decided_on=decided, expires_on=expiry_date(decided, 36), last_surveillance_on=last,
    )  # fmt: skip
    for name, value in fields.items():
        setattr(case, name, value)
    return case


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 11, 30), 3, date(2025, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 5, 31), -3, date(2024, 2, 29)),
    ],
)
def test_month_arithmetic_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected


def test_month_arithmetic_matches_relativedelta() -> None:
    start = date(1999, 1, 1)
    for offset in range(0, 4000, 7):
        day = date.fromordinal(start.toordinal() + offset)
        for months in (-37, -12, -1, 1, 3, 6, 12, 36):
            assert add_months(day, months) == day + relativedelta(months=months)
            assert add_months(day, months, 2) == day + relativedelta(months=months, days=2)


def test_certificate_is_valid_through_the_day_before_the_third_anniversary() -> None:
    assert expiry_date(date(2024, 3, 15), 36) == date(2027, 3, 14)
    assert expiry_date(date(2024, 2, 29), 36) == date(2027, 2, 28)  # no 29 Feb 2027
    assert expiry_date(date(2024, 2, 28), 36) == date(2027, 2, 27)
    assert expiry_date(date(2023, 5, 31), 1) == date(2023, 6, 30)  # no 31 Jun
    assert expiry_date(date(2023, 5, 30), 1) == date(2023, 6, 29)


def test_scheduled_surveillances_never_drift_at_month_end() -> None:
    terms = PlainRules(first_surveillance_months=1, surveillance_interval_months=1).terms(
        date(2024, 1, 1)
    )
    decided = date(2024, 1, 31)
    dates = [scheduled_surveillance(decided, terms, k) for k in range(1, 4)]
    assert dates == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30)]


def test_first_surveillance_is_due_on_the_decisions_anniversary() -> None:
    assert next_surveillance_due(active(date(2024, 3, 15)), TERMS) == date(2025, 3, 15)


def test_an_early_surveillance_brings_the_next_one_forward() -> None:
    case = active(date(2024, 3, 15), last=date(2025, 1, 10), surveillances=1)  # window: 15 Dec
    assert next_surveillance_due(case, TERMS) == date(2026, 1, 10)


def test_an_early_audit_in_a_brought_forward_window_counts_for_its_anniversary() -> None:
    # The first (2024-11-20, early) brought the second forward to 2025-11-20; the second, done
    # early in that window on 2025-09-07, is the period's second. The next is due 12 months
    # later while that is before the re-certification window (from 2026-10-09, expiry
    # 2027-01-09, 3 months' reminder in these terms); after it, the re-certification is due.
    first = active(date(2024, 1, 10), last=date(2024, 11, 20), surveillances=1)
    assert next_surveillance_due(first, TERMS) == date(2025, 11, 20)
    second = active(date(2024, 1, 10), last=date(2025, 9, 7), surveillances=2)
    assert next_surveillance_due(second, TERMS) == date(2026, 9, 7)
    on_time = active(date(2024, 1, 10), last=date(2025, 11, 20), surveillances=2)
    assert next_surveillance_due(on_time, TERMS) is None


def test_surveillances_done_early_never_leave_more_than_12_months_without_one() -> None:
    # Two in the decision's first quarter (or one entered twice) fulfil two anniversaries, not
    # the cycle's obligation: one is due 12 months after the last until the re-certification
    # window opens (2026-11-28, expiry 2027-02-28).
    case = active(date(2024, 3, 1), last=date(2024, 5, 1), surveillances=2)
    assert next_surveillance_due(case, TERMS) == date(2025, 5, 1)
    third = active(date(2024, 3, 1), last=date(2025, 5, 1), surveillances=3)
    assert next_surveillance_due(third, TERMS) == date(2026, 5, 1)
    fourth = active(date(2024, 3, 1), last=date(2026, 5, 1), surveillances=4)
    assert next_surveillance_due(fourth, TERMS) is None


def test_the_surveillance_after_a_late_one_stays_anchored_to_the_decision() -> None:
    case = active(date(2024, 3, 15), last=date(2025, 6, 1), surveillances=1)  # 2.5 months late
    assert next_surveillance_due(case, TERMS) == date(2026, 3, 15)


def test_no_surveillance_is_due_once_the_recertification_window_opens() -> None:
    # Anniversaries 2025-03-15 and 2026-03-15 fall in the cycle (expiry 2027-03-14, the
    # re-certification window opens 2026-12-14). After the second, on time or a fortnight early,
    # 12 months later is the re-certification's: it takes the place of a third surveillance.
    for last in (date(2026, 3, 15), date(2026, 3, 1)):
        case = active(date(2024, 3, 15), last=last, surveillances=2)
        assert next_surveillance_due(case, TERMS) is None
    second = active(date(2024, 3, 15), last=date(2025, 3, 1), surveillances=1)
    assert next_surveillance_due(second, TERMS) == date(2026, 3, 1)
    on_the_day = active(date(2024, 3, 15), last=date(2025, 12, 14), surveillances=2)
    assert next_surveillance_due(on_the_day, TERMS) is None
    day_before = active(date(2024, 3, 15), last=date(2025, 12, 13), surveillances=2)
    assert next_surveillance_due(day_before, TERMS) == date(2026, 12, 13)


def test_surveillances_before_a_recertification_do_not_count() -> None:
    case = active(date(2027, 3, 1), last=date(2026, 3, 10))
    assert next_surveillance_due(case, TERMS) == date(2028, 3, 1)


def test_plan_for_an_active_case() -> None:
    case = active(date(2024, 3, 15))
    assert plan(case, TERMS) == {
        DeadlineKind.SURVEILLANCE_WINDOW_OPENS: date(2024, 12, 15),
        DeadlineKind.SURVEILLANCE_DUE: date(2025, 3, 15),
        DeadlineKind.RECERT_REMINDER: date(2026, 12, 14),
        DeadlineKind.EXPIRY: date(2027, 3, 14),
    }


def test_plan_for_a_suspended_case_has_the_limit_the_recert_reminder_and_expiry() -> None:
    case = active(date(2024, 3, 15), state=State.SUSPENDED, suspended_on=date(2024, 8, 31))
    assert plan(case, TERMS) == {
        DeadlineKind.SUSPENSION_LIMIT: date(2025, 2, 28),
        DeadlineKind.RECERT_REMINDER: date(2026, 12, 14),
        DeadlineKind.EXPIRY: date(2027, 3, 14),
    }
    assert suspension_limit(date(2024, 8, 31), TERMS) == date(2025, 2, 28)


def test_plan_for_an_expired_case_depends_on_the_allowance() -> None:
    case = active(date(2024, 3, 15), state=State.EXPIRED)
    assert plan(case, TERMS) == {DeadlineKind.RESTORATION_ALLOWANCE_ENDS: date(2027, 9, 14)}
    assert restoration_ends(date(2027, 3, 14), TERMS) == date(2027, 9, 14)
    no_allowance = PlainRules(restoration_after_expiry_months=0).terms(date(2024, 1, 1))
    assert plan(case, no_allowance) == {}


@pytest.mark.parametrize("state", [State.APPLIED, State.WITHDRAWN, State.CANCELLED])
def test_other_states_have_no_deadlines(state: State) -> None:
    assert plan(active(date(2024, 3, 15), state=state), TERMS) == {}


SHIPPED = PlainRules(recert_reminder_months=6).terms(date(2024, 1, 1))  # rules/gbt27922-2011.yaml
W, S, R, E, A = (
    DeadlineKind.SURVEILLANCE_WINDOW_OPENS,
    DeadlineKind.SURVEILLANCE_DUE,
    DeadlineKind.RECERT_REMINDER,
    DeadlineKind.EXPIRY,
    DeadlineKind.RESTORATION_ALLOWANCE_ENDS,
)


@pytest.mark.parametrize(
    ("decided", "window", "surveillance", "reminder", "expiry", "allowance"),
    [
        (date(2024, 3, 15), date(2024, 12, 15), date(2025, 3, 15),
         date(2026, 9, 14), date(2027, 3, 14), date(2027, 9, 14)),
        (date(2024, 2, 29), date(2024, 11, 28), date(2025, 2, 28),
         date(2026, 8, 28), date(2027, 2, 28), date(2027, 8, 28)),
        (date(2023, 8, 31), date(2024, 5, 31), date(2024, 8, 31),
         date(2026, 2, 28), date(2026, 8, 30), date(2027, 2, 28)),
        (date(2023, 11, 30), date(2024, 8, 30), date(2024, 11, 30),
         date(2026, 5, 29), date(2026, 11, 29), date(2027, 5, 29)),
        (date(2024, 5, 31), date(2025, 2, 28), date(2025, 5, 31),
         date(2026, 11, 30), date(2027, 5, 30), date(2027, 11, 30)),
        (date(2025, 12, 31), date(2026, 9, 30), date(2026, 12, 31),
         date(2028, 6, 30), date(2028, 12, 30), date(2029, 6, 30)),
    ],
)  # fmt: skip
def test_a_new_certificates_plan_counted_by_hand(
    decided: date, window: date, surveillance: date, reminder: date, expiry: date, allowance: date
) -> None:
    assert certificate_plan(decided, SHIPPED) == {
        W: window, S: surveillance, R: reminder, E: expiry, A: allowance
    }  # fmt: skip


def test_a_surveillance_due_once_the_recertification_window_opens_is_not_planned() -> None:
    decided = date(2024, 3, 15)  # reminder on 2026-09-14
    late = replace(SHIPPED, first_surveillance_months=30)  # would be due 2026-09-15
    assert certificate_plan(decided, late) == {
        R: date(2026, 9, 14), E: date(2027, 3, 14), A: date(2027, 9, 14)
    }  # fmt: skip
    just_in_time = replace(SHIPPED, first_surveillance_months=29, restoration_after_expiry_months=0)
    assert certificate_plan(decided, just_in_time) == {
        W: date(2026, 5, 15), S: date(2026, 8, 15), R: date(2026, 9, 14), E: date(2027, 3, 14)
    }  # fmt: skip


def _by_relativedelta(decided: date, terms: LifecycleTerms) -> dict[DeadlineKind, date]:
    """The plan of a new certificate written out with dateutil, independently of the module."""
    anniversary = decided + relativedelta(months=terms.validity_months)
    expiry = anniversary if anniversary.day != decided.day else anniversary - timedelta(days=1)
    reminder = expiry - relativedelta(months=terms.recert_reminder_months)
    due = decided + relativedelta(months=terms.first_surveillance_months)
    days = {}
    if due < reminder:
        days[W] = due - relativedelta(months=terms.surveillance_window_months)
        days[S] = due
    days[R] = reminder
    days[E] = expiry
    if terms.restoration_after_expiry_months:
        days[A] = expiry + relativedelta(months=terms.restoration_after_expiry_months)
    return days


@pytest.mark.parametrize(
    "terms",
    [
        SHIPPED,
        TERMS,
        replace(SHIPPED, validity_months=12, first_surveillance_months=7, recert_reminder_months=5),
        replace(SHIPPED, validity_months=24, surveillance_window_months=1, recert_reminder_months=1,
                restoration_after_expiry_months=0),
    ],
)  # fmt: skip
def test_a_new_certificates_plan_matches_relativedelta_every_day_of_six_years(
    terms: LifecycleTerms,
) -> None:
    day, last = date(2023, 1, 1), date(2028, 12, 31)  # two leap days, every month end
    while day <= last:
        expected = _by_relativedelta(day, terms)
        assert certificate_plan(day, terms) == expected, day
        day += timedelta(days=1)


def test_a_new_certificates_plan_is_what_the_lifecycle_plans_for_its_case() -> None:
    day, last = date(2023, 1, 1), date(2028, 12, 31)
    while day <= last:
        case = active(day)
        case.expires_on = expiry_date(day, SHIPPED.validity_months)
        # The restoration allowance is planned once the certificate has expired.
        expired = plan(replace(case, state=State.EXPIRED), SHIPPED)
        assert certificate_plan(day, SHIPPED) == {**plan(case, SHIPPED), **expired}, day
        day += timedelta(days=1)


def test_a_deadline_due_on_a_day_fires_at_the_start_of_the_next_local_day() -> None:
    at = due_at(date(2025, 3, 15), SHANGHAI)
    assert at == datetime(2025, 3, 15, 16, 0, tzinfo=UTC)  # 2025-03-16 00:00 in Shanghai
    assert at.tzinfo is UTC
    assert due_day(at, SHANGHAI) == date(2025, 3, 15)
    assert due_day(
        due_at(date(2025, 3, 15), ZoneInfo("Europe/Paris")), ZoneInfo("Europe/Paris")
    ) == date(2025, 3, 15)


@pytest.mark.parametrize(
    "newer",
    [
        {"suspension_limit_months": 1},
        {"suspension_limit_months": 9},
        {"surveillance_window_months": 6},
        {"first_surveillance_months": 10, "recert_reminder_months": 5},
        {"restoration_after_expiry_months": 0},
    ],
)
@pytest.mark.parametrize("effective_from", [date(2024, 6, 1), date(2025, 1, 1), date(2026, 9, 1)])
@pytest.mark.parametrize("state", [State.ACTIVE, State.SUSPENDED, State.EXPIRED])
def test_planning_across_versions_gives_the_days_a_publication_moves_open_deadlines_to(
    newer: dict[str, int], effective_from: date, state: State
) -> None:
    """A case planned after a future version was published ends with the days a case planned
    before it was moved to when it was published: both orders give one schedule."""
    case = active(date(2024, 3, 15), state=state, suspended_on=date(2024, 5, 20))
    later = PlainRules(**newer).terms(effective_from)
    rows = [
        Deadline(i, 1, kind, due_at(day, SHANGHAI))
        for i, (kind, day) in enumerate(plan(case, TERMS).items())
    ]
    moved = {d.kind: due_day(d.due_at, SHANGHAI) for d in rows}
    for move in deadline_moves(case, rows, later, effective_from, SHANGHAI):
        if move.after is None:
            moved.pop(move.kind)
        else:
            moved[move.kind] = move.after
    assert plan_across_versions(case, TERMS, [(effective_from, later)]) == moved

"""The dates of a renewed certification cycle (ISO/IEC 17021-1, 9.6.3.2): a re-certification
decided before expiry, or a restoration within the allowance after it, is effective from its
decision but keeps the prior cycle's dates: expiry = prior expiry + validity, and the deadline
plan (re-certification reminder, expiry, restoration allowance) follows that expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lifecycle_doubles import PlainRules, good_facts, sheet_scoring

from workflows.case_replay import replay
from workflows.certificate_machine import DEFAULT_MACHINE, Transitioned, Trigger
from workflows.context import TransitionContext
from workflows.deadlines import plan
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    DeadlineKind,
    Event,
    Organisation,
    StarLevel,
    State,
)
from workflows.numbering import CertificateNumbers

RULES = PlainRules(recert_reminder_months=6, restoration_after_expiry_months=6)
TERMS = RULES.terms(date(2024, 1, 1))
DECIDED = date(2024, 3, 15)
EXPIRES = date(2027, 3, 14)  # 36 months from DECIDED


def certified(state: State = State.ACTIVE) -> Case:
    return Case(
        id=42, organisation_id=1, application_id=1, state=state, holder="Acme", scope="s",
        number="ASC-2024-000042", star_level=StarLevel.THREE, final_score=85,  # type: ignore[arg-type]
        decided_on=DECIDED, issued_on=DECIDED, expires_on=EXPIRES,
        last_surveillance_on=date(2026, 3, 1), surveillances=2,
    )  # fmt: skip


def renew(case: Case, trigger: Trigger, decided: date, audited: date) -> Transitioned:
    audit = Audit(None, 42, AuditKind.RECERTIFICATION, audited, "auditor", sheet_scoring(91))
    application = Application(1, 1, date(2024, 1, 5), date(2023, 6, 1), "s", good_facts())
    context = TransitionContext(
        as_of=decided, rules=RULES, application=application,
        organisation=Organisation(1, "Acme", "x"),
        numbering=CertificateNumbers("ASC", new_number_on_recertification=True), audit=audit,
    )  # fmt: skip
    return DEFAULT_MACHINE.fire(case, trigger, context)


def test_recertification_two_months_before_expiry_extends_from_the_old_expiry() -> None:
    done = renew(certified(), Trigger.RECERTIFY, date(2027, 1, 14), date(2026, 12, 20))
    after = done.after
    assert (after.decided_on, after.issued_on) == (date(2027, 1, 14), date(2027, 1, 14))
    assert after.expires_on == date(2030, 3, 14)  # not 2030-01-13, 36 months from the decision
    assert plan(after, TERMS) == {
        DeadlineKind.SURVEILLANCE_WINDOW_OPENS: date(2027, 10, 14),
        DeadlineKind.SURVEILLANCE_DUE: date(2028, 1, 14),  # within 12 months of the decision
        DeadlineKind.RECERT_REMINDER: date(2029, 9, 14),
        DeadlineKind.EXPIRY: date(2030, 3, 14),
    }
    assert done.data["expires_on"] == "2030-03-14"
    assert done.data["previous_expires_on"] == "2027-03-14"


def test_restoration_within_the_allowance_keeps_the_prior_cycle() -> None:
    done = renew(
        certified(State.EXPIRED), Trigger.RESTORE_AFTER_EXPIRY, date(2027, 5, 10), date(2027, 3, 1)
    )
    after = done.after
    assert after.state is State.ACTIVE
    assert (after.decided_on, after.issued_on) == (date(2027, 5, 10), date(2027, 5, 10))
    assert after.expires_on == date(2030, 3, 14)  # not 2030-05-09
    days = plan(after, TERMS)
    assert days[DeadlineKind.EXPIRY] == date(2030, 3, 14)
    assert days[DeadlineKind.RECERT_REMINDER] == date(2029, 9, 14)
    lapsed = DEFAULT_MACHINE.fire(
        after,
        Trigger.EXPIRE,
        TransitionContext(as_of=date(2030, 3, 15), rules=RULES),
    ).after
    assert plan(lapsed, TERMS) == {DeadlineKind.RESTORATION_ALLOWANCE_ENDS: date(2030, 9, 14)}


def test_the_renewed_expiry_replays_from_the_trail() -> None:
    done = renew(certified(), Trigger.RECERTIFY, date(2027, 1, 14), date(2026, 12, 20))
    at = datetime(2027, 1, 14, tzinfo=UTC)
    opened = Event(
        42, 1, at, "op", "submit_application", None, State.APPLIED, None, None, None,
        {"application_id": 1, "scope": "s"},
    )  # fmt: skip
    issued = Event(
        42, 2, at, "op", "recertify", State.APPLIED, State.ACTIVE, None, "v1", None, done.data
    )  # fmt: skip
    row, _ = replay([opened, issued])
    assert (row["decided_on"], row["expires_on"]) == (date(2027, 1, 14), date(2030, 3, 14))

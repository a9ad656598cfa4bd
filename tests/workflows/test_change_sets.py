"""Handlers decide, one write path stores: a handler's change set writes nothing by itself, every
guard is asked once per command, the caller's expected version is checked in the command's own
transaction, and a command hands back the case exactly as stored."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from lifecycle_doubles import SHANGHAI, PlainRules, sheet_scoring
from lifecycle_steps import OPERATOR, Office

from storage.memory.memory_store import MemoryStore
from workflows import commands as c
from workflows.case_service import CaseService
from workflows.certificate_machine import TRANSITIONS, CertificateMachine, TransitionSpec
from workflows.context import TransitionContext
from workflows.errors import ConcurrencyConflict
from workflows.fake_clock import FakeClock
from workflows.handlers import sanctions
from workflows.handlers.handler_kit import CaseReads, Now, Setup
from workflows.model import Case, SuspensionCause
from workflows.numbering import CertificateNumbers


def counting_machine(asked: Counter[str]) -> CertificateMachine:
    """The real transitions, each guard counting how often it is asked."""

    def counted(spec: TransitionSpec) -> TransitionSpec:
        guard = spec.guard
        if guard is None:
            return spec

        def guard_counting(case: Case, ctx: TransitionContext) -> str | None:
            asked[str(spec.trigger)] += 1
            return guard(case, ctx)

        return replace(spec, guard=guard_counting)

    return CertificateMachine(tuple(counted(s) for s in TRANSITIONS))


def test_each_guard_is_asked_once_per_command(
    store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    asked: Counter[str] = Counter()
    service = CaseService(store.uow, rules, clock, SHANGHAI, machine=counting_machine(asked))
    office = Office(service, store.uow, clock)
    case_id = office.apply()
    steps = [
        c.ReviewApplication(case_id, OPERATOR),
        c.RecordStage1(case_id, office.days(10), "zhao.lei", OPERATOR),
        c.RecordStage2(case_id, office.days(20), "zhao.lei", sheet_scoring(88), OPERATOR),
        c.Decide(case_id, OPERATOR),
        c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "client asked", OPERATOR),
        c.Restore(case_id, "client ready again", OPERATOR),
        c.Withdraw(case_id, "mark misused", OPERATOR),
    ]
    for command in steps:
        asked.clear()
        service.handle(command)
        assert asked, f"{type(command).__name__} asked no guard"
        assert max(asked.values()) == 1, f"{type(command).__name__} asked {dict(asked)}"


def test_a_handler_returns_its_change_and_writes_nothing(
    office: Office, store: MemoryStore, rules: PlainRules, clock: FakeClock
) -> None:
    case_id = office.certify()
    before = office.snapshot(case_id)
    setup = Setup(rules, CertificateMachine(), CertificateNumbers("ASC"), SHANGHAI)
    now = Now(clock.now(), office.today)
    with store.uow() as uow:
        change = sanctions.suspend(
            c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "client asked", OPERATOR),
            CaseReads(uow),
            setup,
            now,
        )
        uow.commit()
    assert change.case is not None and str(change.case.state) == "suspended"
    assert [e.trigger for e in change.events] == ["suspend"]
    assert change.events[0].seq == before.events[-1].seq + 1
    assert office.snapshot(case_id) == before  # nothing stored until the write path runs


def test_the_result_carries_the_case_as_stored(office: Office) -> None:
    case_id = office.certify()
    result = office.case_service.handle(
        c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "client asked", OPERATOR)
    )
    assert result.case == office.snapshot(case_id).case
    assert result.case is not None and result.case.version == office.snapshot(case_id).case.version


def test_an_expected_version_is_checked_with_the_command(office: Office) -> None:
    case_id = office.certify()
    seen = office.snapshot(case_id)
    office.case_service.handle(
        c.Suspend(case_id, SuspensionCause.CLIENT_REQUEST, "asked", OPERATOR)
    )
    with pytest.raises(ConcurrencyConflict, match=f"is at version {seen.case.version + 1}"):
        office.case_service.handle(
            c.Restore(case_id, "ready", OPERATOR), expected_version=seen.case.version
        )
    assert office.snapshot(case_id).case.state.value == "suspended"
    done = office.case_service.handle(
        c.Restore(case_id, "ready", OPERATOR), expected_version=seen.case.version + 1
    )
    assert done.state is not None and done.state.value == "active"


def test_an_expected_version_holds_across_catch_up(office: Office, clock: FakeClock) -> None:
    """The operator saw the case before its deadline fell due: the deadline fires first (as a
    daemon that never stopped would have), then the command runs on what it left."""
    case_id = office.certify()
    seen = office.snapshot(case_id)
    clock.advance(timedelta(days=400))  # past the first surveillance
    result = office.case_service.handle(
        c.Withdraw(case_id, "mark misused", OPERATOR), expected_version=seen.case.version
    )
    triggers = [e.trigger for e in office.snapshot(case_id).events]
    assert "suspend" in triggers and triggers[-1] == "withdraw"
    assert result.state is not None and result.state.value == "withdrawn"

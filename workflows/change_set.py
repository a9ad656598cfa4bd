"""What a command changes, as data, and the one write path that stores it.

A handler reads, decides and returns a `ChangeSet`; nothing is written until `write` applies it
in the caller's unit of work. The case row is written with its optimistic version check, its
events arrive sealed (the handler read the chain head in the same transaction, and the version
check keeps any other writer of the chain out), deadlines are cancelled and added per kind, and
outbox messages go in the same transaction as the change that causes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from workflows.audit_trail import sealed
from workflows.case_replay import SUBMIT_APPLICATION, opening_data
from workflows.findings import Finding
from workflows.model import (
    Application,
    Audit,
    Case,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    State,
)
from workflows.ports import Notification, UnitOfWork


@dataclass(frozen=True)
class Opening:
    """A new case: its application, the case (ids assigned on write) and who opened it when."""

    application: Application
    case: Case
    actor: str
    at: datetime


@dataclass(frozen=True)
class ChangeSet:
    """Everything one command writes. Empty of events: the case is not written at all."""

    command: str
    case: Case | None = None  # as it is to be written; `version` is the one read
    events: tuple[Event, ...] = ()  # sealed, in chain order
    audit: Audit | None = None
    done: tuple[int, ...] = ()  # deadlines this command fired (marked done at `at`)
    cancel: frozenset[DeadlineKind] = frozenset()  # open deadlines of these kinds go
    add: tuple[Deadline, ...] = ()
    notifications: tuple[Notification, ...] = ()
    organisation: Organisation | None = None  # a new organisation
    opening: Opening | None = None
    at: datetime | None = None  # when the command ran (deadlines marked done then)
    note: str = ""
    deferred: bool = False  # a deadline not fired: an earlier one of its case comes first
    findings: tuple[Finding, ...] = ()  # new (no id) or changed findings of the case


@dataclass(frozen=True)
class Result:
    """What a command did, with the case as it now stands (no second read needed to show it)."""

    command: str
    case_id: int | None = None
    organisation_id: int | None = None
    state: State | None = None
    events: tuple[Event, ...] = ()
    deadlines_added: tuple[Deadline, ...] = ()
    note: str = ""
    certificate: str | None = None  # the case's certificate number after the command, if any
    deferred: bool = False
    case: Case | None = field(default=None, compare=False)


def write(uow: UnitOfWork, change: ChangeSet) -> Result:
    """Apply `change` in `uow` (the caller commits); raises ConcurrencyConflict when the case
    moved since it was read."""
    if change.organisation is not None:
        organisation = uow.organisations.add(change.organisation)
        return Result(change.command, organisation_id=organisation.id)
    if change.opening is not None:
        return _open(uow, change.command, change.opening)
    case = change.case
    if case is None:
        raise ValueError(f"{change.command}: a change set without a case")
    if not change.events:
        return _result(change, case, (), ())
    if change.audit is not None:
        uow.audits.add(change.audit)
    # The version check. It bumps `case.version`: the change set's case is the handler's own
    # copy (the machine ran on a copy), so the caller gets the case as stored without a copy.
    uow.cases.save(case)
    events = tuple(uow.events.append(event) for event in change.events)
    for finding in change.findings:
        if finding.id is None:
            uow.findings.add(finding)
        else:
            uow.findings.save(finding)
    if change.done:
        at = change.at
        if at is None:
            raise ValueError(f"{change.command}: fired deadlines need the time they fired")
        for deadline_id in change.done:
            uow.deadlines.mark_done(deadline_id, at)
    if change.cancel:
        uow.deadlines.cancel_open(_id(case), change.cancel)
    added = tuple(uow.deadlines.add_many(change.add)) if change.add else ()
    for notification in change.notifications:
        uow.notifications.add(notification)
    return _result(change, case, events, added)


def _open(uow: UnitOfWork, command: str, opening: Opening) -> Result:
    application = uow.applications.add(opening.application)
    assert application.id is not None
    case = uow.cases.add(replace(opening.case, application_id=application.id))
    event = sealed(
        _id(case),
        opening.at,
        opening.actor,
        SUBMIT_APPLICATION,
        None,
        case.state,
        None,
        None,
        None,
        opening_data(application, case),
        None,
    )
    stored = uow.events.append(event)
    return Result(command, case.id, case.organisation_id, case.state, (stored,), case=case)


def _result(
    change: ChangeSet, case: Case, events: tuple[Event, ...], added: tuple[Deadline, ...]
) -> Result:
    return Result(
        change.command,
        case.id,
        state=case.state,
        events=events,
        deadlines_added=added,
        note=change.note,
        certificate=case.number,
        deferred=change.deferred,
        case=case,
    )


def _id(case: Case) -> int:
    if case.id is None:
        raise ValueError("the case was not assigned an id by storage")
    return case.id

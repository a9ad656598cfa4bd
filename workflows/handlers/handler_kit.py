"""What every handler works with: the time, the setup, what it reads, and the change it builds.

A handler is a plain function `(command, reads, setup, now) -> ChangeSet`. `CaseReads` is its
only way to the store and it only reads; `transition` runs an allowed trigger on a copy of the
case and turns the result into the change set (sealed event, deadline plan), so every handler
leaves the case the same way.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflows.audit_trail import sealed
from workflows.certificate_machine import CertificateMachine, Transitioned, TriggerCheck
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.deadlines import (
    KINDS,
    REMINDER_KINDS,
    already_reminded,
    due_at,
    local_day,
    plan_across_versions,
)
from workflows.errors import CaseNotFound, ConcurrencyConflict, InvalidInput, NotFound
from workflows.findings import Finding
from workflows.model import (
    TERMINAL_STATES,
    Application,
    Audit,
    AuditKind,
    Case,
    ChainHead,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    State,
)
from workflows.numbering import CertificateNumbers
from workflows.ports import Notification, RulesPort, RuleStamp, UnitOfWork
from workflows.why import why


@dataclass(frozen=True)
class Now:
    """The one reading of the clock a command works with."""

    instant: datetime
    today: date


@dataclass(frozen=True)
class Setup:
    """What a handler decides with besides the store: the rules, the machine, the body's settings."""

    rules: RulesPort
    machine: CertificateMachine
    numbering: CertificateNumbers
    zone: ZoneInfo


class CaseReads:
    """The store as one command sees it: reads only, each at most once.

    With `expected_version`, the case is refused (ConcurrencyConflict) unless it is still the
    version the operator saw, checked in the command's own transaction.
    """

    def __init__(self, uow: UnitOfWork, expected_version: int | None = None) -> None:
        self.uow = uow
        self._expected = expected_version
        self._case: Case | None = None
        self._open: list[Deadline] | None = None
        self._done: Sequence[Deadline] | None = None

    def case(self, case_id: int) -> Case:
        if self._case is None or self._case.id != case_id:
            try:
                case = self.uow.cases.get(case_id)
            except NotFound:
                raise
            except LookupError as exc:
                raise CaseNotFound(f"case {case_id} not found") from exc
            if self._expected is not None and case.version != self._expected:
                raise ConcurrencyConflict(
                    f"case {case_id} is at version {case.version}, not {self._expected}"
                )
            self._case = case
        return self._case

    def head(self, case_id: int) -> ChainHead | None:
        return self.uow.events.head(case_id)

    def open_deadlines(self, case_id: int) -> list[Deadline]:
        """The case's open deadlines, in due order."""
        if self._open is None:
            self._open = list(self.uow.deadlines.open_for_case(case_id))
        return self._open

    def done_deadlines(self, case_id: int) -> Sequence[Deadline]:
        if self._done is None:
            self._done = self.uow.deadlines.done_for_case(case_id)
        return self._done

    def organisation(self, organisation_id: int) -> Organisation:
        return self.uow.organisations.get(organisation_id)


class _StoredFacts:
    """A case's stored audits, application and organisation, for a context to load lazily."""

    def __init__(self, uow: UnitOfWork, case: Case) -> None:
        self._uow = uow
        self._case = case
        self._case_id = need_id("case_id", case.id)

    def audits(self) -> Sequence[Audit]:
        return self._uow.audits.for_case(self._case_id)

    def latest_audit_date(self) -> date | None:
        return self._uow.audits.latest_date(self._case_id)

    def application(self) -> Application:
        return self._uow.applications.get(self._case.application_id)

    def organisation(self) -> Organisation:
        return self._uow.organisations.get(self._case.organisation_id)

    def findings(self) -> Sequence[Finding]:
        return self._uow.findings.for_case(self._case_id)

    def events(self) -> Sequence[Event]:
        return self._uow.events.for_case(self._case_id)


def context(
    reads: CaseReads, setup: Setup, case: Case, as_of: date, *, reason: str | None = None
) -> TransitionContext:
    """The command's context; audits, application and organisation load only if asked for."""
    return TransitionContext(
        as_of=as_of,
        rules=setup.rules,
        reason=reason,
        numbering=setup.numbering,
        facts=_StoredFacts(reads.uow, case),
    )


def transition(
    command: str,
    reads: CaseReads,
    setup: Setup,
    now: Now,
    case: Case,
    check: TriggerCheck,
    ctx: TransitionContext,
    actor: str,
    *,
    stamp: RuleStamp | None = None,
    fired: Deadline | None = None,
    note: str = "",
    notify: Callable[[Case, Event], tuple[Notification, ...]] | None = None,
) -> ChangeSet:
    """The change an allowed trigger makes: the case after it, its sealed event, its deadlines,
    and what `notify` makes of the case after it and its event, if given."""
    done: Transitioned = setup.machine.apply(case, check, ctx)
    event = sealed_event(
        reads,
        done.after,
        str(check.trigger),
        done.before.state,
        actor,
        now,
        ctx.reason,
        {**ctx.data, **done.data},
        done.stamp or stamp or (ctx.asked[-1] if ctx.asked else None),
    )
    cancel, add = replan(reads, setup, done.after, ctx, fired)
    return ChangeSet(
        command,
        case=done.after,
        events=(event,),
        audit=ctx.audit,
        done=() if fired is None else (need_id("deadline_id", fired.id),),
        cancel=cancel,
        add=add,
        notifications=() if notify is None else notify(done.after, event),
        at=now.instant,
        note=note,
    )


def sealed_event(
    reads: CaseReads,
    case: Case,
    trigger: str,
    from_state: State,
    actor: str,
    now: Now,
    reason: str | None,
    data: dict[str, Any],
    stamp: RuleStamp | None,
) -> Event:
    """The case's next event, chained to its stored head."""
    case_id = need_id("case_id", case.id)
    return sealed(
        case_id,
        now.instant,
        actor,
        trigger,
        from_state,
        case.state,
        reason,
        None if stamp is None else stamp.version,
        None if stamp is None else stamp.content_hash,
        data,
        reads.head(case_id),
    )


def replan(
    reads: CaseReads,
    setup: Setup,
    case: Case,
    ctx: TransitionContext,
    fired: Deadline | None,
) -> tuple[frozenset[DeadlineKind], tuple[Deadline, ...]]:
    """The open deadline kinds the new state makes obsolete, and the deadlines it needs.

    The deadline just fired is never re-added, nor a reminder that already fired for the same
    obligation; one missed (its time already past) is added and fires late, once.
    """
    case_id = need_id("case_id", case.id)
    wanted: dict[DeadlineKind, datetime] = {}
    if case.decided_on is not None:
        terms = ctx.terms_for(case)
        zone = setup.zone
        for kind, day in plan_across_versions(case, terms, ctx.later_terms(case)).items():
            at = due_at(day, zone)
            if fired is not None and fired.kind is kind and fired.due_at == at:
                continue
            wanted[kind] = at
    have: dict[DeadlineKind, list[datetime]] = {}
    fired_id = None if fired is None else fired.id
    for d in reads.open_deadlines(case_id):  # in due order
        if fired_id is None or d.id != fired_id:
            held = have.get(d.kind)
            if held is None:
                have[d.kind] = [d.due_at]
            else:
                held.append(d.due_at)
    obsolete: set[DeadlineKind] = set()
    if case.state in TERMINAL_STATES and DeadlineKind.FINDINGS_DUE in have:
        obsolete.add(DeadlineKind.FINDINGS_DUE)  # a closed case's findings are due no more
    needed: list[Deadline] = []
    for kind in KINDS:
        want = wanted.get(kind)
        held = have.get(kind)
        if held is None:
            if want is not None:
                needed.append(Deadline(None, case_id, kind, want))
            continue
        if want is not None and len(held) == 1 and held[0] == want:
            continue
        obsolete.add(kind)
        if want is not None:
            needed.append(Deadline(None, case_id, kind, want))
    if any(d.kind in REMINDER_KINDS for d in needed):
        done = list(reads.done_deadlines(case_id))
        if fired is not None:  # fired by this very command: done as of now
            done.append(fired)
        needed = [
            d
            for d in needed
            if d.kind not in REMINDER_KINDS
            or not already_reminded(case, d.kind, d.due_at, done, setup.zone)
        ]
    return frozenset(obsolete), tuple(needed)


def new_audit(
    case: Case,
    ctx: TransitionContext,
    kind: AuditKind,
    audit_date: date,
    auditor: str,
    now: Now,
    sheet: Any,
) -> Audit:
    """The command's audit, checked against the clock and the case's earlier dates."""
    auditor = text("auditor", auditor, one_line=True)
    not_future("audit_date", audit_date, now.today)
    application = ctx.load_application()
    if application is not None and audit_date < application.submitted_on:
        raise InvalidInput(
            "audit_date",
            why("{day} is before the application of {submitted}", day=audit_date,
                submitted=application.submitted_on),
        )  # fmt: skip
    previous = ctx.latest_audit_date()
    if previous is not None and audit_date < previous:
        raise InvalidInput(
            "audit_date",
            why("{day} is before the case's previous audit of {previous}", day=audit_date,
                previous=previous),
        )  # fmt: skip
    return Audit(None, need_id("case_id", case.id), kind, audit_date, auditor, sheet)


def text(field: str, value: str, *, one_line: bool = False) -> str:
    """Stripped, non-empty text with no control characters (a reason may span lines).

    Names and scopes are shown publicly: there, line breaks and invisible format characters
    (a right-to-left override turns "ABC" into "CBA" on the page) are refused too.
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(field, why("must not be empty"))
    if value.isprintable():  # the usual case, in C: no control or format character at all
        return value.strip()
    allowed = "" if one_line else "\n\t"
    for ch in value:
        kind = unicodedata.category(ch)
        if kind == "Cs":  # bytes that are not UTF-8, e.g. typed in a GBK terminal, reach us so
            raise InvalidInput(field, why("is not UTF-8 text (is the terminal set to UTF-8?)"))
        if (kind == "Cc" and ch not in allowed) or (one_line and kind == "Cf"):
            said = why("contains the control character U+{code}", code=format(ord(ch), "04X"))
            raise InvalidInput(field, said)
    return value.strip()


def not_future(field: str, day: date, today: date) -> None:
    if day > today:
        raise InvalidInput(field, why("{day} is in the future (today is {today})", day=day,
                                      today=today))  # fmt: skip


def dated(
    on: date | None,
    reads: CaseReads,
    setup: Setup,
    case: Case,
    now: Now,
    *floors: tuple[str, date | None],
) -> date:
    """The day a step is dated (`on`, or today): never in the future, never before what it
    follows (`floors`), never before the case's last event.

    An undated step is today's and passes the last check unread: no event is dated after the
    day it was written (dated input is never in the future; a deadline's day, the one after it
    fell due, is at the latest the day it fired)."""
    day = now.today if on is None else on
    not_future("on", day, now.today)
    for what, floor in floors:
        if floor is not None and day < floor:
            raise InvalidInput("on", why("{day} is before {what} of {floor}", day=day, what=what,
                                         floor=floor))  # fmt: skip
    if on is None:
        return day
    last = last_event_day(reads, setup, case)
    if last is not None and day < last:
        raise InvalidInput(
            "on", why("{day} is before the case's last event, of {last}", day=day, last=last)
        )
    return day


def last_event_day(reads: CaseReads, setup: Setup, case: Case) -> date | None:
    """The day the case's newest event took effect (one event read, not the trail)."""
    last = reads.uow.events.last(need_id("case_id", case.id))
    return None if last is None else event_day(last, setup.zone)


def event_day(event: Event, zone: ZoneInfo) -> date:
    """The day an event took effect: a deadline's first late day, an audit's date, a dated
    step's own day, else the day it was written."""
    data = event.data
    deadline = data.get("deadline")
    if isinstance(deadline, Mapping) and isinstance(deadline.get("due_on"), str):
        return date.fromisoformat(deadline["due_on"]) + timedelta(days=1)
    audit = data.get("audit")
    if isinstance(audit, Mapping) and isinstance(audit.get("date"), str):
        return date.fromisoformat(audit["date"])
    if isinstance(data.get("on"), str):
        return date.fromisoformat(data["on"])
    return local_day(event.at, zone)


def need_id(field: str, value: int | None) -> int:
    if value is None:
        raise ValueError(f"{field} was not assigned by storage")
    return value

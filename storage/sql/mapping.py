"""Domain objects to table rows and back, checking input on the way in (InvalidInput names it)."""

from __future__ import annotations

from datetime import UTC
from enum import StrEnum
from typing import Any, TypeVar

from storage import checks
from storage.formats import (
    decimal_from_text,
    decimal_text,
    from_stored,
    plain_json,
    sheet_from_json,
    sheet_to_json,
    utc,
    utc_or_none,
)
from storage.sql.tables import (
    ApplicationRow,
    AuditRow,
    CaseRow,
    DeadlineRow,
    EventRow,
    OrganisationRow,
)
from workflows.errors import BrokenRecord, InvalidInput
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    Case,
    ChainHead,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    PrerequisiteFacts,
    StarLevel,
    State,
    SuspensionCause,
)

E = TypeVar("E", bound=StrEnum)


def stored(kind: type[E], value: Any, row: str, row_id: Any, column: str) -> E:
    """A stored enum value, or BrokenRecord naming the row and column (edited by hand?)."""
    found = kind._value2member_map_.get(value)  # what kind(value) finds first, with no call
    if found is not None:
        return found  # type: ignore[return-value]
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(kind)
        raise BrokenRecord(
            f"{row} {row_id}: stored {column} {value!r} is not one of {allowed}; fix the row"
        ) from None


def organisation_values(o: Organisation) -> dict[str, Any]:
    """The stored columns of a new organisation (all but id), checked."""
    checks.new_row(o.id, "organisation")
    checks.text(o.name, "organisation.name")
    checks.text(o.credit_code, "organisation.credit_code")
    if o.contact_email is not None:
        checks.text(o.contact_email, "organisation.contact_email")
    return {"name": o.name, "credit_code": o.credit_code, "contact_email": o.contact_email}


def organisation(row: OrganisationRow) -> Organisation:
    return Organisation(row.id, row.name, row.credit_code, row.contact_email)


def application_values(a: Application) -> dict[str, Any]:
    """The stored columns of a new application (all but id), checked."""
    checks.new_row(a.id, "application")
    checks.text(a.scope, "application.scope")
    f = a.facts
    return {
        "organisation_id": a.organisation_id,
        "submitted_on": a.submitted_on,
        "service_system_since": a.service_system_since,
        "scope": a.scope,
        "has_service_documents": f.has_service_documents,
        "has_dedicated_manager": f.has_dedicated_manager,
        "has_dedicated_funds": f.has_dedicated_funds,
        "last_major_failure": f.last_major_failure,
        "has_trained_staff": f.has_trained_staff,
        "is_prc_legal_entity": f.is_prc_legal_entity,
        "area": a.area,
        "personnel": a.personnel,
        "sites": a.sites,
    }


def application(row: ApplicationRow) -> Application:
    return Application(
        row.id,
        row.organisation_id,
        row.submitted_on,
        row.service_system_since,
        row.scope,
        PrerequisiteFacts(
            has_service_documents=row.has_service_documents,
            has_dedicated_manager=row.has_dedicated_manager,
            has_dedicated_funds=row.has_dedicated_funds,
            last_major_failure=row.last_major_failure,
            has_trained_staff=row.has_trained_staff,
            is_prc_legal_entity=row.is_prc_legal_entity,
        ),
        row.area,
        row.personnel,
        row.sites,
    )


def chain_head(row: Any) -> ChainHead | None:
    """The head columns of a case row (seq 0: no event yet)."""
    return ChainHead(row.head_seq, row.head_hash) if row.head_seq else None


def case_values(c: Case) -> dict[str, Any]:
    """The stored columns of a case (all but id and version), checked."""
    checks.member(c.state, State, "case.state")
    checks.text(c.holder, "case.holder")
    checks.text(c.scope, "case.scope")
    if c.star_level is not None:
        checks.member(c.star_level, StarLevel, "case.star_level")
    if c.suspension_cause is not None:
        checks.member(c.suspension_cause, SuspensionCause, "case.suspension_cause")
    return {
        "organisation_id": c.organisation_id,
        "application_id": c.application_id,
        "state": str(c.state),
        "holder": c.holder,
        "scope": c.scope,
        "number": c.number,
        "star_level": None if c.star_level is None else str(c.star_level),
        "final_score": decimal_text(c.final_score, "case.final_score"),
        "decided_on": c.decided_on,
        "issued_on": c.issued_on,
        "expires_on": c.expires_on,
        "last_surveillance_on": c.last_surveillance_on,
        "suspended_on": c.suspended_on,
        "suspension_cause": None if c.suspension_cause is None else str(c.suspension_cause),
        "rule_version": c.rule_version,
        "surveillances": c.surveillances,
        "amendments": c.amendments,
    }


def case(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        organisation_id=row.organisation_id,
        application_id=row.application_id,
        state=stored(State, row.state, "case", row.id, "state"),
        holder=row.holder,
        scope=row.scope,
        number=row.number,
        star_level=None
        if row.star_level is None
        else stored(StarLevel, row.star_level, "case", row.id, "star_level"),
        final_score=decimal_from_text(row.final_score, "cases.final_score"),
        decided_on=row.decided_on,
        issued_on=row.issued_on,
        expires_on=row.expires_on,
        last_surveillance_on=row.last_surveillance_on,
        suspended_on=row.suspended_on,
        suspension_cause=None
        if row.suspension_cause is None
        else stored(SuspensionCause, row.suspension_cause, "case", row.id, "suspension_cause"),
        rule_version=row.rule_version,
        version=row.version,
        surveillances=row.surveillances,
        amendments=row.amendments,
    )


def audit_values(a: Audit) -> dict[str, Any]:
    """The stored columns of a new audit (all but id), checked."""
    checks.new_row(a.id, "audit")
    checks.member(a.kind, AuditKind, "audit.kind")
    checks.text(a.auditor, "audit.auditor")
    return {
        "case_id": a.case_id,
        "kind": str(a.kind),
        "audit_date": a.audit_date,
        "auditor": a.auditor,
        "sheet": None if a.sheet is None else sheet_to_json(a.sheet),
    }


def audit(row: AuditRow) -> Audit:
    return Audit(
        row.id,
        row.case_id,
        AuditKind(row.kind),
        row.audit_date,
        row.auditor,
        None if row.sheet is None else sheet_from_json(row.sheet),
    )


def deadline_values(d: Deadline) -> dict[str, Any]:
    """The stored columns of a new deadline (all but id), checked."""
    checks.new_row(d.id, "deadline")
    checks.member(d.kind, DeadlineKind, "deadline.kind")
    return {
        "case_id": d.case_id,
        "kind": str(d.kind),
        "due_at": utc(d.due_at, "deadline.due_at"),
        "claimed_by": d.claimed_by,
        "claimed_until": utc_or_none(d.claimed_until, "deadline.claimed_until"),
        "done_at": utc_or_none(d.done_at, "deadline.done_at"),
        "attempts": d.attempts,
        "last_error": d.last_error,
    }


def stored_deadline(d: Deadline, values: dict[str, Any], deadline_id: int) -> Deadline:
    """The deadline as written from `values`: what reading it back would give."""
    return Deadline(
        deadline_id,
        d.case_id,
        _KINDS.get(values["kind"]) or DeadlineKind(values["kind"]),
        values["due_at"],
        d.claimed_by,
        values["claimed_until"],
        values["done_at"],
        d.attempts,
        d.last_error,
    )


_STATES: dict[Any, State] = dict(State._value2member_map_)
_KINDS: dict[Any, DeadlineKind] = dict(DeadlineKind._value2member_map_)


def _instant(value: Any) -> Any:
    """A stored instant as aware UTC; one read as such already (SQLite's fused reader) as is."""
    return value if value is None or value.tzinfo is UTC else from_stored(value)


def deadline(row: DeadlineRow, kind: DeadlineKind | None = None) -> Deadline:
    """`kind` stands in for a stored kind this starcert cannot read (listing incidents)."""
    if kind is None:
        kind = _KINDS.get(row.kind) or stored(DeadlineKind, row.kind, "deadline", row.id, "kind")
    return Deadline(
        row.id,
        row.case_id,
        kind,
        _instant(row.due_at),
        row.claimed_by,
        _instant(row.claimed_until),
        _instant(row.done_at),
        row.attempts,
        row.last_error,
    )


def event_values(e: Event) -> dict[str, Any]:
    """The stored columns of an event (all but id), checked."""
    checks.member(e.to_state, State, "event.to_state")
    if e.from_state is not None:
        checks.member(e.from_state, State, "event.from_state")
    if e.seq < 1:
        raise InvalidInput("event.seq", f"must be 1 or more (got {e.seq})")
    return {
        "case_id": e.case_id,
        "seq": e.seq,
        "at": utc(e.at, "event.at"),
        "actor": e.actor,
        "trigger": e.trigger,
        "from_state": None if e.from_state is None else str(e.from_state),
        "to_state": str(e.to_state),
        "reason": e.reason,
        "rule_version": e.rule_version,
        "rule_hash": e.rule_hash,
        "data": plain_json(e.data, "event.data"),
        "prev_hash": e.prev_hash,
        "hash": e.hash,
    }


def stored_event(e: Event, values: dict[str, Any]) -> Event:
    """The event as written from `values`: what reading it back would give."""
    return Event(
        e.case_id,
        e.seq,
        values["at"],
        e.actor,
        e.trigger,
        None if e.from_state is None else _STATES.get(e.from_state) or State(e.from_state),
        _STATES.get(e.to_state) or State(e.to_state),
        e.reason,
        e.rule_version,
        e.rule_hash,
        values["data"],
        e.prev_hash,
        e.hash,
    )


def event(row: EventRow) -> Event:
    return Event(
        case_id=row.case_id,
        seq=row.seq,
        at=from_stored(row.at),
        actor=row.actor,
        trigger=row.trigger,
        from_state=None if row.from_state is None else State(row.from_state),
        to_state=State(row.to_state),
        reason=row.reason,
        rule_version=row.rule_version,
        rule_hash=row.rule_hash,
        data=row.data,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )

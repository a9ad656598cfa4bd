"""The case row a trail gives: replay a case's events and hold every field of its row to them.

The case row is a projection of its events, so an UPDATE of any field behind starcert's back (a
star level raised, an expiry pushed out, a holder renamed) shows as a field the trail does not
give. Each event records what its transition wrote: the opening event the application, scope and
holder; an issuing event the number, dates, score and band; a re-banding event its audit and
score; a suspension its day and cause. `NOT_FROM_EVENTS` lists the only fields not compared.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from workflows.model import Application, Case, Event, StarLevel, State, SuspensionCause

SUBMIT_APPLICATION = "submit_application"
"""The trigger name of a case's first event: the application it was opened for."""

ISSUING = frozenset({"certify", "recertify", "restore_after_expiry"})
"""Triggers that start a validity period: number, decision, expiry, score and band."""
TRANSFER_IN = "transfer_in"
"""Issues our certificate for another body's: its cycle dates and band, no score of ours.
Changes (`extend_scope`, `reduce_scope`, `change_holder`) give the scope or holder and the
certificate's version."""

NOT_FROM_EVENTS: Mapping[str, str] = {
    "id": "the key the trail is read by: a row and its events are matched on it",
    "version": "the optimistic-lock counter: bookkeeping of writers, not a fact of the case",
}
"""Case fields `row_mismatch` does not compare, each with the reason; every other is compared."""

COMPARED = tuple(f.name for f in fields(Case) if f.name not in NOT_FROM_EVENTS)

UNRECORDED: Any = object()
"""A field's value when the trail does not record it: an opening event written before the trail
recorded the holder and organisation, or a suspension before it recorded its day. Not compared."""


def opening_data(application: Application, case: Case) -> dict[str, Any]:
    """What a case's first event records: the application and the row it opened."""
    return {
        "application_id": application.id,
        "organisation_id": case.organisation_id,
        "holder": case.holder,
        "submitted_on": application.submitted_on.isoformat(),
        "service_system_since": application.service_system_since.isoformat(),
        "scope": case.scope,
        **{  # recorded when the application gives them (audit time, team rules)
            name: value
            for name in ("area", "personnel", "sites")
            if (value := getattr(application, name)) is not None
        },
    }


@dataclass(frozen=True)
class Differs:
    """The first field of a case row its trail does not give."""

    case_id: int
    seq: int  # the event that last gave the field (0: none did)
    field: str
    trail: str  # the value the trail gives
    stored: str  # the value on the row


def replay(events: Sequence[Event]) -> tuple[dict[str, Any], dict[str, int]]:
    """Every compared field of the case row as the trail leaves it, and which event set each.

    A trail whose data lacks a key its trigger always records (e.g. an issuing event without a
    number) raises KeyError or ValueError: the caller reports the trail as unreadable.
    """
    row: dict[str, Any] = {}
    by: dict[str, int] = {}

    def put(seq: int, **values: Any) -> None:
        row.update(values)
        by.update(dict.fromkeys(values, seq))

    for event in events:
        data, seq = event.data, event.seq
        put(seq, state=event.to_state)
        if event.trigger == SUBMIT_APPLICATION:
            put(
                seq,
                organisation_id=data.get("organisation_id", UNRECORDED),
                application_id=data["application_id"],
                holder=data.get("holder", UNRECORDED),
                scope=data["scope"],
                number=None, star_level=None, final_score=None, decided_on=None,
                issued_on=None, expires_on=None, last_surveillance_on=None, suspended_on=None,
                suspension_cause=None, rule_version=None, surveillances=0, amendments=0,
            )  # fmt: skip
        elif event.trigger in ISSUING:
            decided = date.fromisoformat(data["decided_on"])
            if data["number"] != row.get("number"):  # a new number starts its versions again
                put(seq, amendments=0)
            put(
                seq,
                number=data["number"],
                decided_on=decided,
                issued_on=decided,
                expires_on=date.fromisoformat(data["expires_on"]),
                rule_version=event.rule_version,
                last_surveillance_on=None, surveillances=0, suspended_on=None,
                suspension_cause=None,
            )  # fmt: skip
            _banded(put, seq, data["score"])
        elif event.trigger == "surveil" or (event.trigger == "restore" and "score" in data):
            _banded(put, seq, data["score"])
            put(
                seq,
                rule_version=event.rule_version,
                last_surveillance_on=date.fromisoformat(data["audit"]["date"]),
                surveillances=row.get("surveillances", 0) + 1,
            )
        elif event.trigger == TRANSFER_IN:
            _transferred(put, seq, data, event.rule_version)
        elif event.trigger in ("extend_scope", "reduce_scope"):
            put(seq, scope=data["scope"], amendments=int(data["amendment"]))
        elif event.trigger == "change_holder":
            put(seq, holder=data["holder"], amendments=int(data["amendment"]))
        if event.trigger == "restore":
            put(seq, suspended_on=None, suspension_cause=None)
        elif event.trigger == "fail_surveillance":
            if event.from_state is not State.SUSPENDED:
                put(seq, suspended_on=date.fromisoformat(data["audit"]["date"]))
            put(seq, suspension_cause=SuspensionCause.FAILED_SURVEILLANCE)
        elif event.trigger == "suspend":
            day = data.get("suspended_on")
            put(
                seq,
                suspended_on=UNRECORDED if day is None else date.fromisoformat(day),
                suspension_cause=SuspensionCause(data["cause"]),
            )
    return row, by


def _transferred(put: Any, seq: int, data: Mapping[str, Any], rule_version: str | None) -> None:
    """A certificate transferred in: our number, the other body's cycle dates and band."""
    last = data.get("last_surveillance_on")
    put(
        seq,
        number=data["number"],
        decided_on=date.fromisoformat(data["decided_on"]),
        issued_on=date.fromisoformat(data["issued_on"]),
        expires_on=date.fromisoformat(data["expires_on"]),
        star_level=StarLevel(data["star_level"]),
        final_score=None,
        rule_version=rule_version,
        surveillances=int(data["surveillances"]),
        last_surveillance_on=None if last is None else date.fromisoformat(last),
        suspended_on=None, suspension_cause=None, amendments=0,
    )  # fmt: skip


def _banded(put: Any, seq: int, score: Mapping[str, Any]) -> None:
    star = score.get("star_level")
    put(
        seq,
        star_level=None if star is None else StarLevel(star),
        final_score=Decimal(str(score["final_score"])),
    )


def first_difference(case: Case, events: Sequence[Event]) -> Differs | None:
    """The first compared field (in `COMPARED` order) where the row is not what the trail
    gives, or None when the whole row is its trail's."""
    case_id = case.id or 0
    try:
        row, by = replay(events)
    except (KeyError, ValueError, TypeError) as exc:
        return Differs(case_id, 0, "events", "events whose data replay", f"unreadable: {exc!r}")
    for name in COMPARED:
        want = row.get(name, UNRECORDED)
        if want is UNRECORDED:
            continue
        have = getattr(case, name)
        if have != want:
            return Differs(case_id, by.get(name, 0), name, _shown(want), _shown(have))
    return None


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)

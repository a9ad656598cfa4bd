"""The tamper-evident audit trail: each case's events form a sha256 hash chain.

An event's hash covers every field of the event and the previous event's hash, so editing,
deleting or reordering any stored event breaks the chain from that point on. Event data must be
plain JSON (str, int, float, bool, None, lists, string-keyed objects): what storage writes and
reads back must hash the same, so a date or Decimal in the data is refused at sealing time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from workflows.case_replay import first_difference
from workflows.errors import BrokenRecord
from workflows.model import Case, Event, State
from workflows.ports import EventLog


def canonical_json(event: Event) -> str:
    """The exact text an event's hash is taken over (its own `hash` excluded)."""
    return _canonical(event, event.seq, event.prev_hash)


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)
"""`json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` made once:
`dumps` with options builds a new encoder on every call, which costs more than the encoding.
The same text: event data is plain JSON, built by the lifecycle, so it holds no cycle to look
for (a third of the encoding's cost)."""


def _canonical(event: Event, seq: int, prev_hash: str) -> str:
    return _canonical_fields(
        event.case_id, seq, event.at, event.actor, event.trigger, event.from_state,
        event.to_state, event.reason, event.rule_version, event.rule_hash, event.data, prev_hash,
    )  # fmt: skip


def _canonical_fields(
    case_id: int,
    seq: int,
    at: datetime,
    actor: str,
    trigger: str,
    from_state: State | None,
    to_state: State,
    reason: str | None,
    rule_version: str | None,
    rule_hash: str | None,
    data: Mapping[str, Any],
    prev_hash: str,
) -> str:
    if at.tzinfo is None:
        raise ValueError(f"event {case_id}/{seq} has a naive timestamp")
    body: Mapping[str, Any] = {
        "case_id": case_id,
        "seq": seq,
        "at": (at if at.tzinfo is UTC else at.astimezone(UTC)).isoformat(),
        "actor": actor,
        "trigger": trigger,
        "from_state": None if from_state is None else str(from_state),
        "to_state": str(to_state),
        "reason": reason,
        "rule_version": rule_version,
        "rule_hash": rule_hash,
        "data": data,
        "prev_hash": prev_hash,
    }
    return _ENCODER.encode(body)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def event_hash(event: Event) -> str:
    return _digest(canonical_json(event))


class Link(Protocol):
    """What an event chains to: an Event or a ChainHead."""

    @property
    def seq(self) -> int: ...
    @property
    def hash(self) -> str: ...


def seal(event: Event, previous: Link | None) -> Event:
    """The event numbered and chained after `previous` (None for a case's first event)."""
    return sealed(
        event.case_id, event.at, event.actor, event.trigger, event.from_state, event.to_state,
        event.reason, event.rule_version, event.rule_hash, event.data, previous,
    )  # fmt: skip


def sealed(
    case_id: int,
    at: datetime,
    actor: str,
    trigger: str,
    from_state: State | None,
    to_state: State,
    reason: str | None,
    rule_version: str | None,
    rule_hash: str | None,
    data: Mapping[str, Any],
    previous: Link | None,
) -> Event:
    """The event with these fields, numbered and chained after `previous`, built once."""
    seq = 1 if previous is None else previous.seq + 1
    prev_hash = "" if previous is None else previous.hash
    text = _canonical_fields(
        case_id, seq, at, actor, trigger, from_state, to_state, reason, rule_version, rule_hash,
        data, prev_hash,
    )  # fmt: skip
    digest = _digest(text)
    return Event(
        case_id, seq, at, actor, trigger, from_state, to_state, reason, rule_version, rule_hash,
        data, prev_hash, digest,
    )  # fmt: skip


@dataclass(frozen=True)
class BrokenLink:
    """The first event of a case whose chain does not verify, and what was expected there."""

    case_id: int
    seq: int
    field: str  # seq, prev_hash, hash, head (newest events gone), events, case row, or the
    # case row's field that differs from what its trail gives (case_replay.COMPARED)
    expected: str
    found: str

    def __str__(self) -> str:
        return (
            f"case {self.case_id}, event {self.seq}: {self.field} expected {self.expected}, "
            f"found {self.found}"
        )


def first_broken(events: Sequence[Event]) -> BrokenLink | None:
    """The first link of one case's chain that fails, or None when the whole chain verifies."""
    previous_hash = ""
    for position, event in enumerate(events, start=1):
        if event.seq != position:
            return BrokenLink(event.case_id, event.seq, "seq", str(position), str(event.seq))
        if event.prev_hash != previous_hash:
            return BrokenLink(
                event.case_id, event.seq, "prev_hash", previous_hash or '""', event.prev_hash
            )
        expected = event_hash(event)
        if event.hash != expected:
            return BrokenLink(event.case_id, event.seq, "hash", expected, event.hash)
        previous_hash = event.hash
    return None


def verify(events: Sequence[Event]) -> int | None:
    """The seq of the first broken event of one case's chain, or None when it verifies."""
    broken = first_broken(events)
    return None if broken is None else broken.seq


@dataclass(frozen=True)
class ChainReport:
    cases_checked: int
    events_checked: int  # events of the cases that verified completely
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def head_mismatch(case_id: int, events: Sequence[Event], head: Link | None) -> BrokenLink | None:
    """The recorded chain head against the newest stored event: a gone tail shows here."""
    newest = events[-1] if events else None
    have = (0, "") if newest is None else (newest.seq, newest.hash)
    want = (0, "") if head is None else (head.seq, head.hash)
    if have == want:
        return None
    return BrokenLink(
        case_id, want[0], "head", f"event {want[0]} with hash {want[1]}",
        f"newest stored event {have[0]}",
    )  # fmt: skip


def row_mismatch(case: Case, events: Sequence[Event]) -> BrokenLink | None:
    """The case's stored row against its trail, field by field (workflows.case_replay): the
    first field the events do not give, with the value on the row and the value the trail gives.
    An edited row (a withdrawn certificate shown as active, a star level raised, an expiry
    moved) shows here even though every event still verifies."""
    if not events:
        return BrokenLink(case.id or 0, 0, "events", "at least the case's first event", "none")
    differs = first_difference(case, events)
    if differs is None:
        return None
    return BrokenLink(
        differs.case_id, differs.seq, differs.field, f"{differs.trail} (event {differs.seq})",
        f"{differs.stored} on the case row",
    )  # fmt: skip


def verify_log(
    log: EventLog,
    case_ids: Iterable[int] | None = None,
    case_row: Callable[[int], Case] | None = None,
) -> ChainReport:
    """Check every case's chain (or the given ones) in case order; stop at the first break.

    With `case_row`, each case's stored row is held to its trail as well (`row_mismatch`); a
    case id with events but no row, or a row that cannot be read, is a break too.
    """
    ids = sorted(log.all_case_ids()) if case_ids is None else list(case_ids)
    cases = events_checked = 0
    for case_id in ids:
        events = log.for_case(case_id)
        cases += 1
        broken = first_broken(events) or head_mismatch(case_id, events, log.head(case_id))
        if broken is None and case_row is not None:
            try:
                broken = row_mismatch(case_row(case_id), events)
            except (LookupError, BrokenRecord) as exc:
                broken = BrokenLink(case_id, 0, "case row", "a readable case row", str(exc))
        if broken is not None:
            return ChainReport(cases, events_checked, broken)
        events_checked += len(events)
    return ChainReport(cases, events_checked, None)

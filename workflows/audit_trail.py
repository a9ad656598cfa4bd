"""The tamper-evident audit trail: each case's events form a sha256 hash chain.

An event's hash covers every field of the event and the previous event's hash, so editing,
deleting or reordering any stored event breaks the chain from that point on. Event data must be
plain JSON (str, int, float, bool, None, lists, string-keyed objects): what storage writes and
reads back must hash the same, so a date or Decimal in the data is refused at sealing time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC
from typing import Any

from workflows.model import Event
from workflows.ports import EventLog


def canonical_json(event: Event) -> str:
    """The exact text an event's hash is taken over (its own `hash` excluded)."""
    if event.at.tzinfo is None:
        raise ValueError(f"event {event.case_id}/{event.seq} has a naive timestamp")
    body: Mapping[str, Any] = {
        "case_id": event.case_id,
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(),
        "actor": event.actor,
        "trigger": event.trigger,
        "from_state": None if event.from_state is None else str(event.from_state),
        "to_state": str(event.to_state),
        "reason": event.reason,
        "rule_version": event.rule_version,
        "rule_hash": event.rule_hash,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: Event) -> str:
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


def seal(event: Event, previous: Event | None) -> Event:
    """The event numbered and chained after `previous` (None for a case's first event)."""
    chained = replace(
        event,
        seq=1 if previous is None else previous.seq + 1,
        prev_hash="" if previous is None else previous.hash,
        hash="",
    )
    return replace(chained, hash=event_hash(chained))


@dataclass(frozen=True)
class BrokenLink:
    """The first event of a case whose chain does not verify, and what was expected there."""

    case_id: int
    seq: int
    field: str  # "seq", "prev_hash" or "hash"
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


def verify_log(log: EventLog, case_ids: Iterable[int] | None = None) -> ChainReport:
    """Check every case's chain (or the given ones) in case order; stop at the first break."""
    ids = sorted(log.all_case_ids()) if case_ids is None else list(case_ids)
    cases = events_checked = 0
    for case_id in ids:
        events = log.for_case(case_id)
        cases += 1
        broken = first_broken(events)
        if broken is not None:
            return ChainReport(cases, events_checked, broken)
        events_checked += len(events)
    return ChainReport(cases, events_checked, None)

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from workflows.audit_trail import canonical_json, event_hash, first_broken, seal, verify, verify_log
from workflows.model import ChainHead, Event, State

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def chain(case_id: int, n: int) -> list[Event]:
    events: list[Event] = []
    states = [State.APPLIED, State.STAGE1, State.STAGE2, State.DECISION, State.ACTIVE]
    for i in range(n):
        raw = Event(
            case_id=case_id, seq=0, at=T0 + timedelta(days=i), actor="li.wei", trigger=f"t{i}",
            from_state=None if i == 0 else states[(i - 1) % 5], to_state=states[i % 5],
            reason=None, rule_version="v1", rule_hash="h1", data={"i": i, "note": "审核"},
        )  # fmt: skip
        events.append(seal(raw, events[-1] if events else None))
    return events


def test_sealed_events_are_numbered_and_chained() -> None:
    events = chain(7, 4)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == ""
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert verify(events) is None


def test_hash_covers_every_field() -> None:
    event = chain(1, 1)[0]
    changes: dict[str, Any] = {
        "case_id": 2, "at": T0 + timedelta(seconds=1), "actor": "x", "trigger": "y",
        "from_state": State.ACTIVE, "to_state": State.EXPIRED, "reason": "r",
        "rule_version": "v2", "rule_hash": "h2", "data": {"i": 1}, "prev_hash": "ab",
    }  # fmt: skip
    for name, value in changes.items():
        assert event_hash(replace(event, **{name: value})) != event.hash, name


def test_timestamps_hash_the_same_in_any_zone() -> None:
    event = chain(1, 1)[0]
    from zoneinfo import ZoneInfo

    shanghai = replace(event, at=event.at.astimezone(ZoneInfo("Asia/Shanghai")))
    assert event_hash(shanghai) == event.hash


def test_data_that_would_not_survive_storage_is_refused() -> None:
    event = chain(1, 1)[0]
    with pytest.raises(TypeError):
        canonical_json(replace(event, data={"when": datetime(2025, 1, 1, tzinfo=UTC)}))


@pytest.mark.parametrize(
    ("tamper", "seq", "field"),
    [
        (lambda ev: ev.__setitem__(2, replace(ev[2], reason="edited")), 3, "hash"),
        (lambda ev: ev.__setitem__(1, replace(ev[1], data={"i": 99})), 2, "hash"),
        (lambda ev: ev.pop(2), 4, "seq"),
        (lambda ev: ev.insert(1, ev.pop(3)), 4, "seq"),
    ],
    ids=["edited reason", "edited data", "deleted event", "reordered"],
)
def test_tampering_names_the_first_broken_link(tamper: Any, seq: int, field: str) -> None:
    events = chain(3, 5)
    tamper(events)
    broken = first_broken(events)
    assert broken is not None
    assert (broken.case_id, broken.seq, broken.field) == (3, seq, field)
    assert verify(events) == seq


def test_a_rehashed_edit_still_breaks_the_next_link() -> None:
    events = chain(3, 4)
    forged = replace(events[1], actor="someone else", hash="")
    events[1] = replace(forged, hash=event_hash(forged))
    broken = first_broken(events)
    assert broken is not None
    assert (broken.seq, broken.field) == (3, "prev_hash")
    assert broken.expected == events[1].hash
    assert broken.found == events[2].prev_hash


class ListLog:
    def __init__(self, events: Sequence[Event]) -> None:
        self.events = list(events)
        self.heads: dict[int, ChainHead | None] = {}  # recorded heads that differ from the events

    def append(self, event: Event) -> Event:
        self.events.append(event)
        return event

    def head(self, case_id: int) -> ChainHead | None:
        if case_id in self.heads:
            return self.heads[case_id]
        mine = self.for_case(case_id)
        return ChainHead(mine[-1].seq, mine[-1].hash) if mine else None

    def for_case(self, case_id: int) -> Sequence[Event]:
        return [e for e in self.events if e.case_id == case_id]

    def last(self, case_id: int) -> Event | None:
        mine = self.for_case(case_id)
        return mine[-1] if mine else None

    def all_case_ids(self) -> Iterator[int]:
        return iter(sorted({e.case_id for e in self.events}, reverse=True))


def test_verify_log_checks_every_case_and_names_the_first_break() -> None:
    good = chain(1, 3) + chain(2, 2)
    bad = chain(5, 3)
    bad[1] = replace(bad[1], actor="mallory")
    report = verify_log(ListLog(good + bad + chain(9, 2)))
    assert not report.ok
    assert report.broken is not None
    assert (report.broken.case_id, report.broken.seq) == (5, 2)
    assert "case 5, event 2: hash expected" in str(report.broken)
    assert report.cases_checked == 3  # 1, 2, then 5; case 9 never reached

    clean = verify_log(ListLog(good))
    assert clean.ok and clean.cases_checked == 2 and clean.events_checked == 5


def test_a_chain_missing_its_newest_events_fails_on_the_recorded_head() -> None:
    events = chain(4, 3)
    log = ListLog(events[:2])  # the newest event is gone; what is left still chains
    log.heads[4] = ChainHead(3, events[2].hash)
    report = verify_log(log)
    assert report.broken is not None
    assert (report.broken.case_id, report.broken.seq, report.broken.field) == (4, 3, "head")
    assert "newest stored event 2" in str(report.broken)
    assert verify_log(ListLog(events)).ok


def test_a_sealed_event_hashes_to_the_digest_stored_trails_were_sealed_with() -> None:
    """The hash is a stored fact: any change to how it is computed breaks every existing trail."""
    raw = Event(
        case_id=7, seq=0, at=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8))),
        actor="审核员 Ann", trigger="suspend", from_state=State.ACTIVE, to_state=State.SUSPENDED,
        reason="客户申请\n暂停", rule_version="2024.1", rule_hash="ab" * 32,
        data={"cause": "client_request", "z": [1, 2.5, None, True], "a": {"b": "é", "a": 0}},
    )  # fmt: skip
    sealed = seal(raw, ChainHead(3, "cd" * 32))
    assert sealed.seq == 4
    assert sealed.hash == "9b9599b2aad017efe67f984e506a32478223d5df062e02a8ff12ceee46692825"
    assert canonical_json(sealed).startswith(
        '{"actor":"审核员 Ann","at":"2026-03-01T01:30:15.123456+00:00"'
    )

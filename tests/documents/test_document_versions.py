"""Which events make a new certificate document version, read off a trail as the case replays it.

A version is made by each event that changes what the certificate certifies (number, holder,
scope, star level, dates, rule version), never by one that changes only its status.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from starcert.documents.document_versions import (
    DocumentVersion,
    check_hash,
    chosen,
    content_hash,
    document_versions,
)
from workflows.errors import InvalidInput
from workflows.model import Event, StarLevel, State

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE = "91350100M000100Y43"
START = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


class Trail:
    """A case's events written as the lifecycle writes their data."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.state: State | None = None

    def add(self, trigger: str, to: State, days: int, rules: str | None = "1", **data: Any) -> None:
        at = START + timedelta(days=days)
        seq = len(self.events) + 1
        self.events.append(
            Event(1, seq, at, "alice", trigger, self.state, to, None, rules, None, data)
        )
        self.state = to

    def issued(self, trigger: str, number: str, days: int, score: str, star: str) -> None:
        decided = (START + timedelta(days=days)).date()
        self.add(
            trigger,
            State.ACTIVE,
            days,
            number=number,
            decided_on=decided.isoformat(),
            expires_on=(decided + timedelta(days=3 * 365)).isoformat(),
            score={"final_score": score, "star_level": star},
        )

    def surveilled(self, days: int, score: str, star: str, rules: str = "1") -> None:
        day = (START + timedelta(days=days)).date().isoformat()
        self.add(
            "surveil",
            State.ACTIVE,
            days,
            rules,
            score={"final_score": score, "star_level": star},
            audit={"kind": "surveillance", "date": day, "auditor": "bob"},
        )


def certified() -> Trail:
    trail = Trail()
    trail.add(
        "submit_application",
        State.APPLIED,
        0,
        None,
        application_id=1,
        organisation_id=1,
        holder="福州家电服务有限公司",
        scope="家用电器售后服务",
        submitted_on="2026-03-01",
        service_system_since="2025-06-01",
    )
    trail.add("accept_application", State.STAGE1, 1)
    trail.issued("certify", "ASC-2026-000001", 40, "97", "five_star")
    return trail


def versions(trail: Trail) -> tuple[DocumentVersion, ...]:
    return document_versions(trail.events, CODE, SHANGHAI)


def test_issuing_makes_the_first_version_with_what_the_certificate_certifies() -> None:
    (first,) = versions(certified())
    c = first.content
    assert (c.number, c.version, c.label) == ("ASC-2026-000001", 1, "ASC-2026-000001 v1")
    assert (c.holder, c.credit_code, c.scope) == ("福州家电服务有限公司", CODE, "家用电器售后服务")
    assert c.star_level is StarLevel.FIVE and c.rule_version == "1"
    assert c.issued_on == date(2026, 4, 10) and c.effective_on == date(2026, 4, 10)
    assert first.content_hash == content_hash(c) and len(first.content_hash) == 64


def test_a_rebanding_surveillance_makes_a_version_one_keeping_the_band_does_not() -> None:
    trail = certified()
    trail.surveilled(330, "98", "five_star")  # same band, same rules: same certificate
    assert len(versions(trail)) == 1
    trail.surveilled(700, "92", "four_star")
    trail.surveilled(720, "93", "four_star", rules="2")  # decided under another rule version
    found = versions(trail)
    assert [(v.version, v.content.star_level, v.content.rule_version) for v in found] == [
        (1, StarLevel.FIVE, "1"),
        (2, StarLevel.FOUR, "1"),
        (3, StarLevel.FOUR, "2"),
    ]
    surveilled_on = (START + timedelta(days=700)).astimezone(SHANGHAI).date()
    assert found[1].trigger == "surveil" and found[1].content.effective_on == surveilled_on
    assert len({v.content_hash for v in found}) == 3


def test_a_suspension_and_its_restoration_change_the_status_not_the_document() -> None:
    trail = certified()
    trail.add("suspend", State.SUSPENDED, 100, cause="client_request", suspended_on="2026-06-09")
    trail.add("restore", State.ACTIVE, 120, cleared_cause="client_request")
    assert len(versions(trail)) == 1


def test_a_renewal_numbers_its_versions_afresh_and_the_old_number_keeps_its_own() -> None:
    trail = certified()
    trail.surveilled(700, "92", "four_star")
    trail.issued("recertify", "ASC-2029-000001-R1", 1080, "96", "five_star")
    found = versions(trail)
    assert [v.content.label for v in found] == [
        "ASC-2026-000001 v1",
        "ASC-2026-000001 v2",
        "ASC-2029-000001-R1 v1",
    ]
    assert chosen(found, "ASC-2026-000001", 1) is found[0]
    assert chosen(found, "ASC-2026-000001", None) is found[1]
    assert chosen(found, "ASC-2029-000001-R1", None) is found[2]


def test_a_hash_is_the_current_versions_an_older_ones_or_none() -> None:
    trail = certified()
    trail.surveilled(700, "92", "four_star")
    old, new = versions(trail)
    number = "ASC-2026-000001"
    assert check_hash([old, new], number, new.content_hash.upper()).matches == "current"
    older = check_hash([old, new], number, old.content_hash)
    assert (older.matches, older.version, older.label) == ("older", 1, "ASC-2026-000001 v1")
    assert check_hash([old, new], number, "0" * 64).matches == "none"
    with pytest.raises(InvalidInput) as refused:
        check_hash([old, new], number, "not-a-hash")
    assert refused.value.field == "hash"


def test_a_version_not_issued_is_refused_by_name() -> None:
    found = versions(certified())
    with pytest.raises(InvalidInput) as refused:
        chosen(found, "ASC-2026-000001", 2)
    assert refused.value.field == "version" and "versions 1 to 1" in str(refused.value)
    with pytest.raises(InvalidInput) as unknown:
        chosen(found, "ASC-2026-000099", None)
    assert unknown.value.field == "number"


def test_the_same_trail_gives_the_same_hashes_every_time() -> None:
    trail = certified()
    trail.surveilled(700, "92", "four_star")
    assert [v.content_hash for v in versions(trail)] == [v.content_hash for v in versions(trail)]

"""The storage contract every backend keeps: memory, SQLite and PostgreSQL alike.

Long because the contract is one: every repository's promises, run on each backend.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from storage_backends import Backend
from storage_builders import FACTS, SHEET, T0, credit_code, new_case, stored_case_id

from storage.memory.memory_store import MemoryStore
from workflows.errors import (
    ApplicationNotFound,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    NotFound,
    OrganisationNotFound,
)
from workflows.model import (
    Application,
    Audit,
    AuditKind,
    ChainHead,
    Deadline,
    DeadlineKind,
    Event,
    Organisation,
    StarLevel,
    State,
    SuspensionCause,
)
from workflows.ports import Notification

SHANGHAI = timezone(timedelta(hours=8))


def _event(case_id: int, seq: int, **changes: object) -> Event:
    base = Event(
        case_id=case_id,
        seq=seq,
        at=T0 + timedelta(minutes=seq),
        actor="operator:li",
        trigger="accept_application",
        from_state=State.APPLIED,
        to_state=State.STAGE1,
        reason="all prerequisites hold",
        rule_version="2024.1",
        rule_hash="sha256:abc",
        data={"application_id": 1, "notes": ["a", "b"], "score": "94.96", "ok": True},
        prev_hash="" if seq == 1 else f"h{seq - 1}",
        hash=f"h{seq}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- round trips ---------------------------------------------------------------------------------


def test_organisation_and_application_round_trip(backend: Backend) -> None:
    with backend.new_uow() as uow:
        org = uow.organisations.add(
            Organisation(None, "厦门维修服务有限公司", "91350200MA2Y0000X1")
        )
        assert org.id is not None
        app = uow.applications.add(
            Application(None, org.id, date(2024, 2, 29), date(2023, 11, 30), "电梯维保", FACTS)
        )
        assert app.id is not None
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.organisations.get(org.id) == org
        assert uow.organisations.by_credit_code("91350200MA2Y0000X1") == org
        assert uow.organisations.by_credit_code("nope") is None
        assert uow.applications.get(app.id) == app
        assert uow.applications.get(app.id).facts.last_major_failure == date(2019, 5, 31)


def test_an_application_keeps_its_area_personnel_and_sites_or_their_absence(
    backend: Backend,
) -> None:
    with backend.new_uow() as uow:
        org = uow.organisations.add(Organisation(None, "泉州家电服务有限公司", credit_code()))
        assert org.id is not None
        sized = uow.applications.add(
            Application(
                None, org.id, date(2026, 3, 2), date(2025, 11, 30), "家电售后服务", FACTS,
                "household_appliances", 120, 3,
            )
        )  # fmt: skip
        bare = uow.applications.add(
            Application(None, org.id, date(2026, 3, 2), date(2025, 11, 30), "家电", FACTS)
        )
        uow.commit()
    assert sized.id is not None and bare.id is not None
    with backend.new_uow() as uow:
        got = uow.applications.get(sized.id)
        assert (got.area, got.personnel, got.sites) == ("household_appliances", 120, 3)
        none = uow.applications.get(bare.id)
        assert (none.area, none.personnel, none.sites) == (None, None, None)


def test_case_round_trip_keeps_every_certificate_field(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None and case.version == 0
        case.state = State.SUSPENDED
        case.number = "CSC-2024-000001"
        case.star_level = StarLevel.FOUR
        case.final_score = Decimal("94.96")
        case.decided_on = date(2024, 4, 1)
        case.issued_on = date(2024, 4, 2)
        case.expires_on = date(2027, 3, 31)
        case.last_surveillance_on = date(2025, 3, 1)
        case.suspended_on = date(2025, 4, 2)
        case.suspension_cause = SuspensionCause.FAILED_SURVEILLANCE
        case.rule_version = "2024.1"
        case.amendments = 2  # the certificate's version (-A2)
        uow.cases.save(case)
        assert case.version == 1
        uow.commit()
    with backend.new_uow() as uow:
        stored = uow.cases.get(case.id)
        assert stored == case
        assert uow.cases.by_number("CSC-2024-000001") == case
        assert stored.final_score == Decimal("94.96") and str(stored.final_score) == "94.96"


def test_a_loaded_case_saved_twice_in_one_transaction_keeps_every_change(
    backend: Backend,
) -> None:
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        loaded = uow.cases.get(case_id)
        loaded.state = State.ACTIVE
        loaded.number = "CSC-2024-000009"
        loaded.star_level = StarLevel.FIVE
        uow.cases.save(loaded)
        loaded.state = State.SUSPENDED
        loaded.suspended_on = date(2025, 1, 2)
        loaded.star_level = None
        uow.cases.save(loaded)
        uow.cases.save(loaded)  # nothing changed: the version still moves
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.cases.get(case_id) == loaded and loaded.version == 3


def test_decimal_score_is_stored_exactly_not_as_float(backend: Backend) -> None:
    exact = Decimal("94.95999999999999999999")  # a float would round this to 94.96
    with backend.new_uow() as uow:
        case = new_case(uow)
        case.final_score = exact
        uow.cases.save(case)
        uow.commit()
    with backend.new_uow() as uow:
        assert case.id is not None
        assert uow.cases.get(case.id).final_score == exact


def test_audit_round_trip_keeps_the_score_sheet(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        stage1 = uow.audits.add(
            Audit(None, case.id, AuditKind.STAGE1, date(2024, 3, 1), "王审核", None)
        )
        stage2 = uow.audits.add(
            Audit(None, case.id, AuditKind.STAGE2, date(2024, 3, 20), "王审核", SHEET)
        )
        uow.commit()
    with backend.new_uow() as uow:
        audits = list(uow.audits.for_case(case.id))
        assert uow.audits.latest_date(case.id) == date(2024, 3, 20)
        assert uow.audits.latest_date(case.id + 1000) is None
    assert audits == [stage1, stage2]
    sheet = audits[1].sheet
    assert sheet is not None
    assert sheet.results["complaint_handling"].points == Decimal("12.125")
    assert sheet.results["repair"].conforming == 17 and sheet.results["repair"].sampled == 20
    assert sheet.excluded == frozenset({"recycling", "delivery"})
    assert sheet.special_deductions == ("late complaint reply", "missing record")
    assert sheet.special_bonus == "national service award"


def test_instants_come_back_aware_utc(backend: Backend) -> None:
    local = datetime(2024, 3, 1, 10, 0, tzinfo=SHANGHAI)  # 02:00 UTC
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        d = uow.deadlines.add(Deadline(None, case.id, DeadlineKind.EXPIRY, local))
        uow.events.append(_event(case.id, 1, at=local))
        uow.commit()
    with backend.new_uow() as uow:
        assert d.id is not None
        got = uow.deadlines.get(d.id).due_at
        at = uow.events.for_case(case.id)[0].at
    for value in (got, at):
        assert value == local
        assert value.utcoffset() == timedelta(0)
        assert (value.hour, value.tzinfo) == (2, UTC)


def test_add_many_stores_each_deadline_with_its_own_id(backend: Backend) -> None:
    """A decision's whole plan in one call: every row comes back as reading it would give."""
    kinds = [DeadlineKind.SURVEILLANCE_WINDOW_OPENS, DeadlineKind.SURVEILLANCE_DUE,
             DeadlineKind.RECERT_REMINDER, DeadlineKind.EXPIRY]  # fmt: skip
    with backend.new_uow() as uow:
        first, second = new_case(uow), new_case(uow)
        assert first.id is not None and second.id is not None
        plan = [
            Deadline(None, case_id, kind, T0 + timedelta(days=30 * i + case_id))
            for case_id in (first.id, second.id)
            for i, kind in enumerate(kinds)
        ]
        added = uow.deadlines.add_many(plan)
        uow.commit()
    assert [(d.case_id, d.kind, d.due_at) for d in added] == [
        (d.case_id, d.kind, d.due_at) for d in plan
    ]
    with backend.new_uow() as uow:
        stored = [*uow.deadlines.open_for_case(first.id), *uow.deadlines.open_for_case(second.id)]
        with pytest.raises(CaseNotFound):
            uow.deadlines.add_many([replace(plan[0], case_id=999), replace(plan[1], case_id=999)])
    assert sorted(stored, key=lambda d: d.id or 0) == sorted(added, key=lambda d: d.id or 0)
    assert len({d.id for d in added}) == len(plan)


def test_event_round_trip_and_order(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        first = uow.events.append(_event(case.id, 1, from_state=None, to_state=State.APPLIED))
        second = uow.events.append(_event(case.id, 2))
        uow.commit()
    with backend.new_uow() as uow:
        assert list(uow.events.for_case(case.id)) == [first, second]
        assert uow.events.head(case.id) == ChainHead(2, second.hash)
        assert uow.events.head(case.id + 1000) is None
        assert uow.events.last(case.id) == second
        assert uow.events.last(case.id + 1000) is None
        assert list(uow.events.all_case_ids()) == [case.id]
    assert second.data == {"application_id": 1, "notes": ["a", "b"], "score": "94.96", "ok": True}


def test_the_chain_head_follows_committed_appends_only(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        assert uow.events.head(case.id) is None
        uow.events.append(_event(case.id, 1, from_state=None, to_state=State.APPLIED))
        assert uow.events.head(case.id) == ChainHead(1, "h1")
        uow.commit()
    with backend.new_uow() as uow:
        uow.cases.get(case.id)  # the head comes with the case
        uow.events.append(_event(case.id, 2))
        assert uow.events.head(case.id) == ChainHead(2, "h2")
        last = uow.events.last(case.id)
        assert last is not None and last.seq == 2  # this transaction's own append
        uow.rollback()
    with backend.new_uow() as uow:
        assert uow.events.head(case.id) == ChainHead(1, "h1")
        uow.cases.get(case.id)
        assert uow.events.head(case.id) == ChainHead(1, "h1")
        with pytest.raises(ConcurrencyConflict):
            uow.events.append(_event(case.id, 1, from_state=None, to_state=State.APPLIED))


def test_list_filters_and_pages(backend: Backend) -> None:
    with backend.new_uow() as uow:
        cases = [new_case(uow, f"org {i}") for i in range(5)]
        for c, level in zip(
            cases[:3], [StarLevel.FIVE, StarLevel.THREE, StarLevel.FIVE], strict=True
        ):
            c.state, c.star_level = State.ACTIVE, level
            uow.cases.save(c)
        uow.commit()
    ids = [c.id for c in cases]
    with backend.new_uow() as uow:
        assert [c.id for c in uow.cases.list()] == ids
        assert [c.id for c in uow.cases.list(state=State.ACTIVE)] == ids[:3]
        assert [c.id for c in uow.cases.list(state=State.APPLIED)] == ids[3:]
        assert [c.id for c in uow.cases.list(state=State.ACTIVE, star_level=StarLevel.FIVE)] == [
            ids[0],
            ids[2],
        ]
        assert [c.id for c in uow.cases.list(limit=2, offset=1)] == ids[1:3]
        assert [c.id for c in uow.cases.list(offset=4)] == ids[4:]
        with pytest.raises(InvalidInput, match="limit"):
            uow.cases.list(limit=-1)


# --- lookups and bad input -----------------------------------------------------------------------


def test_getters_raise_not_found_lookup_errors(backend: Backend) -> None:
    with backend.new_uow() as uow:
        with pytest.raises(CaseNotFound):
            uow.cases.get(999)
        with pytest.raises(CaseNotFound, match="CSC-X"):
            uow.cases.by_number("CSC-X")
        with pytest.raises(OrganisationNotFound):
            uow.organisations.get(999)
        with pytest.raises(ApplicationNotFound):
            uow.applications.get(999)
        with pytest.raises(LookupError):
            uow.deadlines.get(999)


def test_children_of_missing_parents_are_refused(backend: Backend) -> None:
    with backend.new_uow() as uow:
        with pytest.raises(OrganisationNotFound):
            uow.applications.add(
                Application(None, 999, date(2024, 1, 1), date(2023, 1, 1), "x", FACTS)
            )
        with pytest.raises(CaseNotFound):
            uow.deadlines.add(Deadline(None, 999, DeadlineKind.EXPIRY, T0))
        with pytest.raises(CaseNotFound):
            uow.events.append(_event(999, 1))
        with pytest.raises(CaseNotFound):
            uow.audits.add(Audit(None, 999, AuditKind.STAGE1, date(2024, 1, 1), "a", None))


def test_bad_input_names_the_field_and_writes_nothing(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None
    with backend.new_uow() as uow:
        naive = datetime(2024, 3, 1, 10, 0)
        with pytest.raises(InvalidInput, match=r"deadline\.due_at.*no timezone"):
            uow.deadlines.add(Deadline(None, case.id, DeadlineKind.EXPIRY, naive))
        with pytest.raises(InvalidInput, match=r"event\.data"):
            uow.events.append(_event(case.id, 1, data={"on": date(2024, 1, 1)}))
        with pytest.raises(InvalidInput, match="credit_code"):
            uow.organisations.add(
                Organisation(None, "dup", uow.organisations.get(case.organisation_id).credit_code)
            )
        with pytest.raises(InvalidInput, match=r"organisation\.id"):
            uow.organisations.add(Organisation(7, "x", credit_code()))
        bad = uow.cases.get(case.id)
        bad.final_score = Decimal("NaN")
        with pytest.raises(InvalidInput, match="final_score"):
            uow.cases.save(bad)
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.deadlines.open_for_case(case.id) == []
        assert uow.events.for_case(case.id) == []
        assert uow.cases.get(case.id).version == 0


def test_certificate_number_is_unique(backend: Backend) -> None:
    with backend.new_uow() as uow:
        a, b = new_case(uow, "a"), new_case(uow, "b")
        a.number = "CSC-2024-000001"
        uow.cases.save(a)
        b.number = "CSC-2024-000001"
        with pytest.raises(InvalidInput, match="CSC-2024-000001"):
            uow.cases.save(b)


# --- transactions --------------------------------------------------------------------------------


def test_exit_without_commit_rolls_everything_back(backend: Backend) -> None:
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        loaded = uow.cases.get(case_id)
        loaded.state = State.STAGE1
        uow.cases.save(loaded)
        uow.events.append(_event(case_id, 1))
        uow.deadlines.add(Deadline(None, case_id, DeadlineKind.EXPIRY, T0))
        new_case(uow, "never stored")
    with backend.new_uow() as uow:
        assert uow.cases.get(case_id).state is State.APPLIED
        assert uow.cases.get(case_id).version == 0
        assert uow.events.for_case(case_id) == []
        assert uow.deadlines.open_for_case(case_id) == []
        assert [c.id for c in uow.cases.list()] == [case_id]


def test_exception_mid_command_leaves_nothing_half_written(backend: Backend) -> None:
    case_id = stored_case_id(backend.new_uow)
    with pytest.raises(RuntimeError, match="boom"), backend.new_uow() as uow:
        loaded = uow.cases.get(case_id)
        loaded.state = State.STAGE1
        uow.cases.save(loaded)
        uow.events.append(_event(case_id, 1))
        raise RuntimeError("boom")
    with backend.new_uow() as uow:
        assert uow.cases.get(case_id).state is State.APPLIED
        assert uow.events.for_case(case_id) == []


def test_rollback_discards_and_the_uow_goes_on(backend: Backend) -> None:
    with backend.new_uow() as uow:
        new_case(uow, "discarded")
        uow.rollback()
        kept = new_case(uow, "kept")
        uow.commit()
    with backend.new_uow() as uow:
        assert [c.holder for c in uow.cases.list()] == ["kept"]
        assert kept.id is not None


def test_stale_version_is_a_conflict_and_the_winner_stays(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.commit()
    assert case.id is not None
    with backend.new_uow() as first:
        mine = first.cases.get(case.id)
    with backend.new_uow() as second:
        theirs = second.cases.get(case.id)
        theirs.state = State.CANCELLED
        second.cases.save(theirs)
        second.commit()
    with backend.new_uow() as first:
        mine.state = State.STAGE1
        with pytest.raises(ConcurrencyConflict, match=f"case {case.id}"):
            first.cases.save(mine)
    with backend.new_uow() as uow:
        stored = uow.cases.get(case.id)
    assert (stored.state, stored.version) == (State.CANCELLED, 1)


def test_saving_twice_in_one_uow_follows_the_bumped_version(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        uow.cases.save(case)
        uow.cases.save(case)
        uow.commit()
    with backend.new_uow() as uow:
        assert case.id is not None
        assert uow.cases.get(case.id).version == 2


def test_duplicate_event_seq_is_a_conflict(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        uow.events.append(_event(case.id, 1))
        uow.commit()
    with backend.new_uow() as uow, pytest.raises(ConcurrencyConflict):
        uow.events.append(_event(case.id, 1, actor="someone else"))


def test_repositories_refuse_use_outside_with(backend: Backend) -> None:
    uow = backend.new_uow()
    with pytest.raises(RuntimeError, match="with uow"):
        uow.cases.get(1)


# --- deadlines -----------------------------------------------------------------------------------


def _deadlines(backend: Backend, offsets_h: list[int]) -> tuple[int, list[Deadline]]:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        rows = [
            uow.deadlines.add(
                Deadline(None, case.id, DeadlineKind.SURVEILLANCE_DUE, T0 + timedelta(hours=h))
            )
            for h in offsets_h
        ]
        uow.commit()
    return case.id, rows


def test_claim_due_takes_due_rows_in_due_order_up_to_limit(backend: Backend) -> None:
    _deadlines(backend, [3, 1, 2, 10])
    now = T0 + timedelta(hours=5)
    lease = now + timedelta(minutes=5)
    with backend.new_uow() as uow:
        claimed = uow.deadlines.claim_due(now, "w1", lease, limit=2)
        uow.commit()
    assert [d.due_at for d in claimed] == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]
    assert all(d.claimed_by == "w1" and d.claimed_until == lease for d in claimed)
    with backend.new_uow() as uow:
        rest = uow.deadlines.claim_due(now, "w2", lease, limit=10)
        again = uow.deadlines.claim_due(now, "w3", lease, limit=10)
        uow.commit()
    assert [d.due_at for d in rest] == [T0 + timedelta(hours=3)]  # the 10 h one is not due
    assert again == []


def test_due_rows_merge_the_stored_ones_with_the_unit_of_works_own(backend: Backend) -> None:
    case_id, rows = _deadlines(backend, [1, 3, 5])
    first, second, third = (r.id for r in rows)
    assert first is not None and second is not None and third is not None
    now = T0 + timedelta(hours=6)
    hour = timedelta(hours=1)
    with backend.new_uow() as uow:
        two = uow.deadlines.add(Deadline(None, case_id, DeadlineKind.EXPIRY, T0 + 2 * hour))
        uow.deadlines.mark_done(second, now)
        with pytest.raises(RuntimeError), uow.savepoint():
            uow.deadlines.add(Deadline(None, case_id, DeadlineKind.EXPIRY, T0))
            uow.deadlines.mark_done(first, now)
            raise RuntimeError("undone")
        assert [d.id for d in uow.deadlines.due(now, 10)] == [first, two.id, third]
        assert [d.id for d in uow.deadlines.due(T0 + 2 * hour, 10)] == [first, two.id]
        assert uow.deadlines.overdue_case_ids(T0 + hour) == [case_id]
        assert uow.deadlines.next_due_at() == T0 + hour
        claimed = uow.deadlines.claim_due(now, "w1", now + hour, 2)
        assert [d.id for d in claimed] == [first, two.id]
        # The third row, due at T0 + 5 h, is of the same case: it waits for the lease to end.
        assert uow.deadlines.next_due_at() == now + hour
        uow.commit()
    with backend.new_uow() as uow:
        assert [d.id for d in uow.deadlines.due(now, 10)] == [first, two.id, third]
        assert [d.id for d in uow.deadlines.claim_due(now, "w2", now + hour, 10)] == [third]
        assert uow.deadlines.next_due_at() == now + hour


def test_a_reader_keeps_its_due_rows_while_another_commits() -> None:
    """The memory store's due index is the committed generation's: a reader open before a
    commit keeps the due rows it began with, and the next unit of work sees the new ones."""
    store = MemoryStore()
    case_id, rows = _deadlines(Backend("memory", store.uow, store=store), [1, 3])
    first, second = (r.id for r in rows)
    assert first is not None
    now = T0 + timedelta(hours=6)
    with store.uow() as reader:
        with store.uow() as writer:
            writer.deadlines.mark_done(first, now)
            two = writer.deadlines.add(
                Deadline(None, case_id, DeadlineKind.EXPIRY, T0 + timedelta(hours=2))
            )
            writer.commit()
        assert [d.id for d in reader.deadlines.due(now, 10)] == [first, second]
        assert reader.deadlines.next_due_at() == T0 + timedelta(hours=1)
    with store.uow() as uow:
        assert [d.id for d in uow.deadlines.due(now, 10)] == [two.id, second]


def test_a_row_waiting_behind_a_leased_row_of_its_case_is_ready_when_the_lease_ends(
    backend: Backend,
) -> None:
    """The daemon wakes at `next_due_at`: a later row of a case whose earlier row is leased
    (another daemon, a dead one, an incident's back-off) would only be deferred before then."""
    case_id, [head, later] = _deadlines(backend, [1, 2])
    _, [other] = _deadlines(backend, [9])
    now = T0 + timedelta(hours=3)
    lease_end = now + timedelta(minutes=5)
    with backend.new_uow() as uow:
        assert [d.id for d in uow.deadlines.claim_due(now, "dead", lease_end, 1)] == [head.id]
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.deadlines.next_due_at() == lease_end
        assert head.id is not None and later.id is not None
        uow.deadlines.mark_done(head.id, now)
        assert uow.deadlines.next_due_at() == later.due_at  # first of its case now
        uow.deadlines.mark_done(later.id, now)
        assert uow.deadlines.next_due_at() == other.due_at
    assert case_id != other.case_id


def test_expired_lease_can_be_claimed_again(backend: Backend) -> None:
    _, [row] = _deadlines(backend, [0])
    with backend.new_uow() as uow:
        uow.deadlines.claim_due(T0, "crashed", T0 + timedelta(minutes=5), limit=10)
        uow.commit()
    with backend.new_uow() as uow:
        assert (
            uow.deadlines.claim_due(T0 + timedelta(minutes=4), "w2", T0 + timedelta(hours=1), 10)
            == []
        )
        retaken = uow.deadlines.claim_due(
            T0 + timedelta(minutes=5), "w2", T0 + timedelta(hours=1), 10
        )
        uow.commit()
    assert [(d.id, d.claimed_by) for d in retaken] == [(row.id, "w2")]


def test_done_rows_never_fire_and_due_lists_only_open(backend: Backend) -> None:
    case_id, rows = _deadlines(backend, [1, 2])
    later = T0 + timedelta(days=1)
    with backend.new_uow() as uow:
        assert rows[0].id is not None
        uow.deadlines.mark_done(rows[0].id, later)
        uow.commit()
    with backend.new_uow() as uow:
        assert [d.id for d in uow.deadlines.due(later, 10)] == [rows[1].id]
        assert [d.id for d in uow.deadlines.open_for_case(case_id)] == [rows[1].id]
        assert [(d.id, d.done_at) for d in uow.deadlines.done_for_case(case_id)] == [
            (rows[0].id, later)
        ]
        assert [d.id for d in uow.deadlines.claim_due(later, "w", later, 10)] == [rows[1].id]
        assert uow.deadlines.get(rows[0].id).done_at == later
        with pytest.raises(NotFound):
            uow.deadlines.mark_done(999, later)


def test_cancel_open_removes_only_open_rows_of_the_kinds(backend: Backend) -> None:
    with backend.new_uow() as uow:
        case = new_case(uow)
        assert case.id is not None
        add = uow.deadlines.add
        expiry = add(Deadline(None, case.id, DeadlineKind.EXPIRY, T0))
        add(Deadline(None, case.id, DeadlineKind.SURVEILLANCE_DUE, T0))
        add(Deadline(None, case.id, DeadlineKind.SURVEILLANCE_DUE, T0, done_at=T0))
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.deadlines.cancel_open(case.id, frozenset({DeadlineKind.SURVEILLANCE_DUE})) == 1
        assert [d.id for d in uow.deadlines.open_for_case(case.id)] == [expiry.id]
        assert uow.deadlines.cancel_open(case.id) == 1
        assert uow.deadlines.open_for_case(case.id) == []
        uow.commit()


def test_overdue_cases_release_failures_incidents_and_next_due(backend: Backend) -> None:
    case_id, rows = _deadlines(backend, [1, 5])
    soon_id, late_id = rows[0].id, rows[1].id
    assert soon_id is not None and late_id is not None
    now = T0 + timedelta(hours=2)
    with backend.new_uow() as uow:
        assert uow.deadlines.overdue_case_ids(T0) == []
        assert uow.deadlines.overdue_case_ids(now) == [case_id]
        assert uow.deadlines.next_due_at() == T0 + timedelta(hours=1)
        uow.deadlines.claim_due(now, "w1", now + timedelta(minutes=5), 10)
        uow.commit()
    with backend.new_uow() as uow:
        # The claimed row waits for its lease; the next claimable moment is the lease end.
        assert uow.deadlines.next_due_at() == now + timedelta(minutes=5)
        uow.deadlines.release(soon_id, "someone else")
        assert uow.deadlines.get(soon_id).claimed_by == "w1"
        uow.deadlines.release(soon_id, "w1")
        assert uow.deadlines.get(soon_id).claimed_until is None
        assert uow.deadlines.next_due_at() == T0 + timedelta(hours=1)
        retry = now + timedelta(hours=10)
        uow.deadlines.record_failure(soon_id, "RuntimeError: rules missing", retry)
        uow.commit()
    with backend.new_uow() as uow:
        [incident] = uow.deadlines.incidents()
        assert (incident.id, incident.attempts, incident.last_error) == (
            soon_id,
            1,
            "RuntimeError: rules missing",
        )
        assert uow.deadlines.claim_due(now + timedelta(hours=1), "w2", retry, 10) == []
        # The later row of the case waits behind the incident's back-off, not at its due time.
        assert uow.deadlines.next_due_at() == retry
        uow.deadlines.mark_done(late_id, now)
        assert uow.deadlines.next_due_at() == retry
        uow.deadlines.mark_done(soon_id, now)
        assert uow.deadlines.next_due_at() is None
        assert uow.deadlines.incidents() == []
        # A failure reported late, for a row another daemon has fired meanwhile, changes nothing.
        uow.deadlines.record_failure(soon_id, "RuntimeError: too late", retry)
        fired = uow.deadlines.get(soon_id)
        assert (fired.attempts, fired.last_error, fired.claimed_until) == (
            1,
            "RuntimeError: rules missing",
            None,
        )


def test_a_contact_e_mail_is_set_changed_and_removed(backend: Backend) -> None:
    with backend.new_uow() as uow:
        org = uow.organisations.add(
            Organisation(None, "厦门维修服务有限公司", "91350200MA2Y0000X1", "a@xm.example.cn")
        )
        assert org.id is not None
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.organisations.get(org.id).contact_email == "a@xm.example.cn"
        changed = uow.organisations.set_contact_email(org.id, "售后@厦门.中国")
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.organisations.get(org.id) == changed
        assert changed.contact_email == "售后@厦门.中国" and changed.name == org.name
        uow.organisations.set_contact_email(org.id, None)
        uow.commit()
    with backend.new_uow() as uow:
        assert uow.organisations.by_credit_code("91350200MA2Y0000X1") == replace(
            org, contact_email=None
        )
        with pytest.raises(OrganisationNotFound):
            uow.organisations.set_contact_email(org.id + 1000, "b@xm.example.cn")


def test_a_deliverer_claims_only_its_channels_messages(backend: Backend) -> None:
    case_id = stored_case_id(backend.new_uow)
    with backend.new_uow() as uow:
        for channel in ("webhook", "email", "webhook"):
            uow.notifications.add(Notification(None, case_id, "r", channel, {}, T0, T0))
        uow.commit()
    lease = T0 + timedelta(minutes=1)
    with backend.new_uow() as uow:
        emails = uow.notifications.claim_pending(T0, "a", lease, 10, 3, "email")
        hooks = uow.notifications.claim_pending(T0, "b", lease, 10, 3, "webhook")
        uow.commit()
    assert [m.channel for m in emails] == ["email"]
    assert [m.channel for m in hooks] == ["webhook", "webhook"]

"""SQL repositories of a case's own records: organisations, applications, audits, cases, events."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import union, update
from sqlmodel import col, select

from storage import checks
from storage.sql import mapping
from storage.sql import statements as st
from storage.sql.sql_transaction import SqlTransaction
from storage.sql.tables import ApplicationRow, AuditRow, CaseRow, EventRow, OrganisationRow
from workflows.errors import (
    ApplicationNotFound,
    CaseNotFound,
    ConcurrencyConflict,
    InvalidInput,
    OrganisationNotFound,
)
from workflows.model import (
    Application,
    Audit,
    Case,
    ChainHead,
    Event,
    Organisation,
    StarLevel,
    State,
)


class SqlRepository:
    def __init__(self, uow: SqlTransaction) -> None:
        self._uow = uow

    def _need_case(self, case_id: int) -> None:
        if not self._uow.exists_case(case_id):
            raise CaseNotFound(f"case {case_id} not found")


class SqlOrganisations(SqlRepository):
    def add(self, organisation: Organisation) -> Organisation:
        values = mapping.organisation_values(organisation)
        existing = self.by_credit_code(organisation.credit_code)
        if existing is not None:
            raise InvalidInput(
                "credit_code",
                f"{organisation.credit_code} is already registered (organisation {existing.id})",
            )
        return mapping.organisation(self._uow.insert_values(OrganisationRow, values))

    def get(self, organisation_id: int) -> Organisation:
        row = self._uow.fetch_one(st.ORGANISATION_BY_ID_P, {"b_id": organisation_id})
        if row is None:
            raise OrganisationNotFound(f"organisation {organisation_id} not found")
        self._uow.seen(OrganisationRow, organisation_id)
        return mapping.organisation(row)

    def by_credit_code(self, credit_code: str) -> Organisation | None:
        row = self._uow.fetch_one(st.ORGANISATION_BY_CREDIT_CODE_P, {"b_code": credit_code})
        return None if row is None else mapping.organisation(row)

    def set_contact_email(self, organisation_id: int, email: str | None) -> Organisation:
        if email is not None:
            checks.text(email, "organisation.contact_email")
        found = self.get(organisation_id)
        self._uow.session.execute(
            update(OrganisationRow)
            .where(col(OrganisationRow.id) == organisation_id)
            .values(contact_email=email)
        )
        return replace(found, contact_email=email)


class SqlApplications(SqlRepository):
    def add(self, application: Application) -> Application:
        values = mapping.application_values(application)
        if not self._uow.exists(OrganisationRow, application.organisation_id):
            raise OrganisationNotFound(f"organisation {application.organisation_id} not found")
        return mapping.application(self._uow.insert_values(ApplicationRow, values))

    def get(self, application_id: int) -> Application:
        row = self._uow.fetch_one(st.APPLICATION_BY_ID_P, {"b_id": application_id})
        if row is None:
            raise ApplicationNotFound(f"application {application_id} not found")
        self._uow.seen(ApplicationRow, application_id)
        return mapping.application(row)


class SqlAudits(SqlRepository):
    def add(self, audit: Audit) -> Audit:
        values = mapping.audit_values(audit)
        self._need_case(audit.case_id)
        return mapping.audit(self._uow.insert_values(AuditRow, values))

    def for_case(self, case_id: int) -> Sequence[Audit]:
        """The case's audits in the order they were recorded."""
        rows = self._uow.fetch_all(st.AUDITS_OF_CASE_P, {"b_case_id": case_id})
        return [mapping.audit(r) for r in rows]

    def latest_date(self, case_id: int) -> date | None:
        row = self._uow.fetch_one(st.LATEST_AUDIT_DATE_P, {"b_case_id": case_id})
        return None if row is None else row.latest


class SqlCases(SqlRepository):
    def add(self, case: Case) -> Case:
        checks.new_row(case.id, "case")
        values = mapping.case_values(case)
        if not self._uow.exists(OrganisationRow, case.organisation_id):
            raise OrganisationNotFound(f"organisation {case.organisation_id} not found")
        if not self._uow.exists(ApplicationRow, case.application_id):
            raise ApplicationNotFound(f"application {case.application_id} not found")
        self._unique_number(case.number, None)
        new = {**values, "version": case.version, "head_seq": 0, "head_hash": ""}
        added = mapping.case(self._uow.insert_values(CaseRow, new))
        assert added.id is not None
        memo = self._uow.memo  # known to exist, with no event yet: the first append asks nothing
        memo.cases.add(added.id)
        memo.heads[added.id] = None
        return added

    def read_ahead(self, case_ids: Collection[int]) -> None:
        """Each case's row and all its deadlines, for the cases a batch of firings reads next:
        two statements instead of two a case. Each case's first read takes them; a write to the
        case before that drops them (TransactionMemo)."""
        wanted = sorted(set(case_ids))
        if len(wanted) < 2:
            return
        memo = self._uow.memo
        cases, deadlines = st.cases_ahead_p(len(wanted))
        params = {f"b_{i}": case_id for i, case_id in enumerate(wanted)}
        for row in self._uow.fetch_all(cases, params):
            memo.ahead_cases[row.id] = row
        by_case: dict[int, list[Any]] = {case_id: [] for case_id in memo.ahead_cases}
        for row in self._uow.fetch_all(deadlines, params):
            by_case[row.case_id].append(row)
            memo.ahead_owner[row.id] = row.case_id
        memo.ahead_deadlines.update(by_case)

    def get(self, case_id: int) -> Case:
        row = self._uow.memo.ahead_cases.pop(case_id, None)
        if row is None:
            row = self._uow.fetch_one(st.CASE_BY_ID_P, {"b_id": case_id})
        if row is None:
            raise CaseNotFound(f"case {case_id} not found")
        found = mapping.case(row)
        memo = self._uow.memo
        memo.cases.add(case_id)
        # What case_values(found) would give, read off the row (a test holds the two equal).
        memo.stored[case_id] = (row.version, {k: getattr(row, k) for k in st.CASE_COLUMNS})
        memo.heads[case_id] = mapping.chain_head(row)
        return found

    def by_number(self, number: str) -> Case:
        row = self._uow.first(select(CaseRow).where(CaseRow.number == number))
        if row is None:
            raise CaseNotFound(f"no case holds certificate {number}")
        return mapping.case(row)

    def save(self, case: Case) -> None:
        """`UPDATE ... SET ..., version = version + 1 WHERE id = :id AND version = :expected`.

        Zero rows matched means another writer saved first (or the case is gone):
        ConcurrencyConflict / CaseNotFound, and the caller's unit of work must roll back.
        On success `case.version` is bumped to the stored one.
        """
        if case.id is None:
            raise InvalidInput("case.id", "a case must be added before it is saved")
        values = mapping.case_values(case)
        memo = self._uow.memo
        memo.ahead_cases.pop(case.id, None)
        seen = memo.stored.get(case.id)
        if seen is None or seen[1]["number"] != case.number:
            self._unique_number(case.number, case.id)
        if seen is not None and seen[0] == case.version:
            before = seen[1]
            columns = tuple(k for k in st.CASE_COLUMNS if before[k] != values[k])
        else:  # not read in this transaction: set every column
            columns = st.CASE_COLUMNS
        params = {k: values[k] for k in columns}
        params["b_id"] = case.id
        params["b_version"] = case.version
        matched = self._uow.write(st.save_case_columns(columns), params)
        if matched != 1:
            stored = self._uow.core(st.CASE_BY_ID, {"b_id": case.id}).first()
            if stored is None:
                raise CaseNotFound(f"case {case.id} not found")
            raise ConcurrencyConflict(
                f"case {case.id} was changed by another writer (expected version {case.version}, "
                f"stored {stored.version}); retry"
            )
        memo.cases.add(case.id)
        case.version += 1
        memo.stored[case.id] = (case.version, values)

    def _unique_number(self, number: str | None, case_id: int | None) -> None:
        if number is None:
            return
        holder = self._uow.fetch_one(st.CASE_BY_NUMBER_P, {"b_number": number})
        if holder is not None and holder.id != case_id:
            raise InvalidInput(
                "number", f"certificate {number} is already held by case {holder.id}"
            )

    def list(
        self,
        *,
        state: State | None = None,
        star_level: StarLevel | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Case]:
        """Cases in id order, optionally only one state and/or star level; `limit`/`offset` page."""
        checks.page(limit, offset)
        stmt = select(CaseRow).order_by(col(CaseRow.id))
        if state is not None:
            stmt = stmt.where(CaseRow.state == str(state))
        if star_level is not None:
            stmt = stmt.where(CaseRow.star_level == str(star_level))
        stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [mapping.case(r) for r in self._uow.rows(stmt)]


class SqlEventLog(SqlRepository):
    def append(self, event: Event) -> Event:
        """INSERT only: the database refuses UPDATE and DELETE on events (migration triggers).

        A (case, seq) already taken means another writer appended first: ConcurrencyConflict.
        The insert moves the case's chain head (trigger, migration 0002).
        """
        values = mapping.event_values(event)
        self._need_case(event.case_id)
        self._uow.memo.ahead_cases.pop(event.case_id, None)  # its head moves with the insert
        heads = self._uow.memo.heads
        known = heads.get(event.case_id)
        if event.case_id not in heads or (0 if known is None else known.seq) != event.seq - 1:
            taken = self._uow.fetch_one(
                st.EVENT_TAKEN_P, {"b_case_id": event.case_id, "b_seq": event.seq}
            )
            if taken is not None:
                raise ConcurrencyConflict(
                    f"case {event.case_id} already has event {event.seq}: "
                    "another writer appended first"
                )
        self._uow.insert_row(st.INSERT_EVENT_P, values)
        heads[event.case_id] = ChainHead(event.seq, event.hash)
        return mapping.stored_event(event, values)

    def head(self, case_id: int) -> ChainHead | None:
        """Known to the transaction once it read the case; else read from the case row."""
        heads = self._uow.memo.heads
        if case_id in heads:
            return heads[case_id]
        row = self._uow.fetch_one(st.CHAIN_HEAD_P, {"b_id": case_id})
        found = None if row is None else mapping.chain_head(row)
        heads[case_id] = found
        return found

    def for_case(self, case_id: int) -> Sequence[Event]:
        """The case's events in sequence order."""
        rows = self._uow.fetch_all(st.EVENTS_OF_CASE_P, {"b_case_id": case_id})
        return [mapping.event(r) for r in rows]

    def last(self, case_id: int) -> Event | None:
        """One row by (case, seq) from the chain head, not the whole trail."""
        head = self.head(case_id)
        if head is None:
            return None
        row = self._uow.fetch_one(st.EVENT_AT_P, {"b_case_id": case_id, "b_seq": head.seq})
        return None if row is None else mapping.event(row)

    def all_case_ids(self) -> Iterator[int]:
        """Ids of every case on record or named by an event, ascending: a case whose events
        were all deleted is still there to check."""
        both: Any = union(select(col(CaseRow.id)), select(col(EventRow.case_id)))
        return iter(sorted(int(r[0]) for r in self._uow.session.execute(both).all()))

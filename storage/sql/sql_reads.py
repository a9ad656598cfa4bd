"""`RegisterReads` on SQL: search, feeds and the register, read in the unit of work's transaction.

Each is one statement (the feed two) and none writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, exists, func, or_
from sqlmodel import col, select

from storage import checks
from storage.certificate_trail import after_each_event
from storage.formats import utc
from storage.sql import mapping
from storage.sql.sql_transaction import SqlTransaction
from storage.sql.tables import CaseRow, DeadlineRow, EventRow, OrganisationRow
from workflows.model import Case, StarLevel, State
from workflows.read_ports import CaseDeadline, CaseEvent, RegisterEntry


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlRegisterReads:
    """`RegisterReads` in one SQL unit of work's transaction."""

    def __init__(self, uow: SqlTransaction) -> None:
        self._uow = uow

    def search_cases(
        self,
        *,
        text: str | None = None,
        state: State | None = None,
        star_level: StarLevel | None = None,
        only_ids: Sequence[int] | None = None,
        holder: str | None = None,
        due_between: tuple[datetime, datetime] | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Case], int]:
        """Cases matching all filters, in id order, one page of them and the total count.

        `text` matches a certificate number exactly or the holder's name or the number as a
        case-insensitive substring; `holder` the holder's name as a case-insensitive substring;
        `due_between` keeps cases with an open deadline due in (start, end] (an EXISTS).
        """
        checks.page(limit, offset)
        where: list[ColumnElement[bool]] = []
        if text:
            pattern = f"%{_escape_like(text.strip().lower())}%"
            where.append(
                or_(
                    col(CaseRow.number) == text.strip(),
                    func.lower(CaseRow.holder).like(pattern, escape="\\"),
                    func.lower(col(CaseRow.number)).like(pattern, escape="\\"),
                )
            )
        if state is not None:
            where.append(col(CaseRow.state) == str(state))
        if star_level is not None:
            where.append(col(CaseRow.star_level) == str(star_level))
        if only_ids is not None:
            where.append(col(CaseRow.id).in_(list(only_ids)))
        if holder and holder.strip():
            pattern = f"%{_escape_like(holder.strip().lower())}%"
            where.append(func.lower(CaseRow.holder).like(pattern, escape="\\"))
        if due_between is not None:
            start, end = utc(due_between[0], "due_between"), utc(due_between[1], "due_between")
            where.append(
                exists().where(
                    col(DeadlineRow.case_id) == col(CaseRow.id),
                    col(DeadlineRow.done_at).is_(None),
                    col(DeadlineRow.due_at) > start,
                    col(DeadlineRow.due_at) <= end,
                )
            )
        total = self._uow.session.exec(
            select(func.count()).select_from(CaseRow).where(*where)
        ).one()
        stmt = select(CaseRow).where(*where).order_by(col(CaseRow.id)).offset(offset).limit(limit)
        return [mapping.case(r) for r in self._uow.rows(stmt)], int(total)

    def recent_events(
        self, triggers: Sequence[str], limit: int, since: datetime | None = None
    ) -> list[CaseEvent]:
        """The latest events of the given triggers, newest first, with their certificate's fields."""
        checks.page(limit, 0)
        stmt = (
            select(EventRow, CaseRow)
            .join(CaseRow, col(CaseRow.id) == col(EventRow.case_id))
            .where(col(EventRow.trigger).in_(list(triggers)))
            .order_by(col(EventRow.id).desc())
            .limit(limit)
        )
        if since is not None:
            stmt = stmt.where(col(EventRow.at) >= utc(since, "since"))
        rows = self._uow.session.exec(stmt).all()
        then = self._certificate_after_each_event({e.case_id for e, _case in rows})
        found = []
        for event_row, case_row in rows:
            number, star = then.get((event_row.case_id, event_row.seq), (None, None))
            found.append(
                CaseEvent(
                    event=mapping.event(event_row),
                    number=number,
                    holder=case_row.holder,
                    scope=case_row.scope,
                    star_level=None if star is None else StarLevel(star),
                )
            )
        return found

    def _certificate_after_each_event(
        self, case_ids: set[int]
    ) -> dict[tuple[int, int], tuple[str | None, str | None]]:
        """(case, seq) -> the certificate number and star level right after that event.

        What an announcement of a past event shows: a renewal's new number or a re-banding since
        must not rewrite it. Replayed from the cases' trails (issuing events record the number;
        every scored event that re-bands records the star level).
        """
        if not case_ids:
            return {}
        stmt = (
            select(EventRow.case_id, EventRow.seq, EventRow.trigger, EventRow.data)
            .where(col(EventRow.case_id).in_(sorted(case_ids)))
            .order_by(col(EventRow.case_id), col(EventRow.seq))
        )
        return after_each_event(self._uow.session.exec(stmt).all())

    def open_deadlines_between(
        self, start: datetime | None, end: datetime, limit: int
    ) -> list[CaseDeadline]:
        """Open deadlines due in [start, end] (from the earliest when start is None), due order."""
        checks.page(limit, 0)
        stmt = (
            select(DeadlineRow, CaseRow)
            .join(CaseRow, col(CaseRow.id) == col(DeadlineRow.case_id))
            .where(col(DeadlineRow.done_at).is_(None), col(DeadlineRow.due_at) <= utc(end, "end"))
            .order_by(col(DeadlineRow.due_at), col(DeadlineRow.id))
            .limit(limit)
        )
        if start is not None:
            stmt = stmt.where(col(DeadlineRow.due_at) > utc(start, "start"))
        return [
            CaseDeadline(
                deadline=mapping.deadline(d), number=c.number, holder=c.holder, state=State(c.state)
            )
            for d, c in self._uow.session.exec(stmt).all()
        ]

    def cases_of_organisation(self, organisation_id: int) -> list[Case]:
        """The organisation's cases, oldest first (ix_cases_organisation)."""
        stmt = (
            select(CaseRow)
            .where(col(CaseRow.organisation_id) == organisation_id)
            .order_by(col(CaseRow.id))
        )
        return [mapping.case(row) for row in self._uow.rows(stmt)]

    def register(self) -> list[RegisterEntry]:
        """Every case holding a certificate number, with its organisation, in id order."""
        first = (
            select(
                col(EventRow.case_id).label("case_id"),
                func.min(col(EventRow.data)["decided_on"].as_string()).label("decided_on"),
            )
            .where(col(EventRow.trigger) == "certify")
            .group_by(col(EventRow.case_id))
            .subquery()
        )
        stmt = (
            select(CaseRow, OrganisationRow, first.c.decided_on)
            .join(OrganisationRow, col(OrganisationRow.id) == col(CaseRow.organisation_id))
            .outerjoin(first, first.c.case_id == col(CaseRow.id))
            .where(col(CaseRow.number).is_not(None))
            .order_by(col(CaseRow.id))
        )
        return [
            RegisterEntry(
                mapping.case(k),
                mapping.organisation(o),
                date.fromisoformat(d) if d else k.issued_on,
            )
            for k, o, d in self._uow.session.exec(stmt).all()
        ]

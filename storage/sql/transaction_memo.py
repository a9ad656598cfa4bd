"""What one SQL transaction learnt that spares it repeated statements (storage.sql.sql_transaction)."""

from __future__ import annotations

from typing import Any

from workflows.model import ChainHead, Deadline


class TransactionMemo:
    """Facts one transaction learnt that spare it repeated statements; dropped when it ends.

    `cases`: ids of cases known to exist; `stored`: each case's version and column values as this
    transaction read or wrote them (a save then sets only the columns that changed, and keeping
    the certificate number needs no uniqueness query: the unique constraint already guarantees
    no other case holds it); `heads`: each case's chain head as read with the case or moved by an
    append (the next append chains to it with no query; the unique constraint on (case, seq)
    still refuses a racing writer); `open_deadlines`: each case's open deadlines as read, until
    this transaction writes any deadline (a command's catch-up check and its reschedule read
    them once), and `done_deadlines` the rows of its deadlines already done, read in the same
    statement (a reschedule that adds a reminder asks whether it was sent: no second query);
    `rows`: (table, id) of other rows known to exist (an application's organisation, a new
    case's application).
    """

    __slots__ = (
        "ahead_cases",
        "ahead_deadlines",
        "ahead_owner",
        "cases",
        "done_deadlines",
        "heads",
        "open_deadlines",
        "rows",
        "stored",
    )

    def __init__(self) -> None:
        self.cases: set[int] = set()
        self.rows: set[tuple[str, int]] = set()
        self.heads: dict[int, ChainHead | None] = {}
        self.stored: dict[int, tuple[int, dict[str, Any]]] = {}
        self.open_deadlines: dict[int, list[Deadline]] = {}
        self.done_deadlines: dict[int, list[Any]] = {}  # rows, made Deadlines when asked for
        # Read ahead for a batch of firings (read_ahead): each case's row and deadline rows,
        # taken by its first read; dropped once anything of that case is written first.
        self.ahead_cases: dict[int, Any] = {}
        self.ahead_deadlines: dict[int, list[Any]] = {}
        self.ahead_owner: dict[int, int] = {}  # deadline id -> its case, among those read ahead

    def forget_deadlines(self, case_id: int | None = None, deadline_id: int | None = None) -> None:
        """A deadline was written: what was read of any case's deadlines may be out of date, and
        so may what was read ahead of its case (of every case, when neither is known)."""
        self.open_deadlines.clear()
        self.done_deadlines.clear()
        if case_id is None and deadline_id is not None:
            case_id = self.ahead_owner.get(deadline_id)
        if case_id is None:
            self.ahead_deadlines.clear()
        else:
            self.ahead_deadlines.pop(case_id, None)

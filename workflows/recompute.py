"""Which open deadlines of a certificate a new rule version moves (pure: no store, no clock).

A version that changes the lifecycle numbers reaches only what falls due from its effective date
on: an open deadline due before that date keeps its day (the old version judges it). A deadline
the new numbers would put before the effective date is moved to the effective date itself (a
shorter limit does not act retroactively). A reminder is not added back once its obligation was
reminded (see deadlines.already_reminded); one whose new time is already past fires late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from workflows.deadlines import REMINDER_KINDS, already_reminded, due_at, due_day, plan
from workflows.model import Case, Deadline, DeadlineKind
from workflows.ports import LifecycleTerms


@dataclass(frozen=True)
class Move:
    kind: DeadlineKind
    before: date | None  # the open deadline's due day; None when the new numbers add one
    after: date | None  # the new due day; None when the new numbers need none

    def words(self) -> str:
        if self.before is None:
            return f"{self.kind} added for {self.after}"
        if self.after is None:
            return f"{self.kind} of {self.before} dropped"
        way = "earlier" if self.after < self.before else "later"
        return f"{self.kind} {self.before} -> {self.after} ({way})"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "kind": str(self.kind),
            "before": self.before.isoformat() if self.before else None,
            "after": self.after.isoformat() if self.after else None,
        }


def deadline_moves(
    case: Case,
    open_deadlines: Sequence[Deadline],
    terms: LifecycleTerms,
    effective_from: date,
    zone: ZoneInfo,
    done: Sequence[Deadline] = (),
) -> list[Move]:
    """The moves that bring `case`'s open deadlines in line with `terms` from `effective_from`.

    `done`: the case's deadlines already fired. Without them (a bulk first look) a reminder
    already sent may be counted as one to add; the command that applies the moves has them.
    """
    if case.decided_on is None:
        return []
    planned = plan(case, terms)
    moves: list[Move] = []
    for kind in DeadlineKind:
        have = sorted(due_day(d.due_at, zone) for d in open_deadlines if d.kind is kind)
        before = have[0] if have else None
        if before is not None and before < effective_from:
            continue  # falls due under the version before
        after = planned.get(kind)
        if after is not None and after < effective_from:
            after = effective_from if before is not None else None
        if (
            after is not None
            and before is None
            and kind in REMINDER_KINDS
            and already_reminded(case, kind, due_at(after, zone), done, zone)
        ):
            after = None
        if before != after:
            moves.append(Move(kind, before, after))
    return moves

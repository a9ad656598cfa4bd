"""The lifecycle's guards that findings add: no certificate while a major finding is open.

A certification decision (initial, re-certification, restoration after expiry) waits for every
major finding to close; a suspension is not lifted over a major finding past its period; and
the scheduler refuses an application whose major finding outlived its period.
"""

from __future__ import annotations

from workflows import guards as g
from workflows.context import TransitionContext
from workflows.findings import listed, open_majors, overdue_open, unresolved
from workflows.guards import Guard
from workflows.model import Case
from workflows.why import why


def no_open_major(_case: Case, ctx: TransitionContext) -> str | None:
    found = open_majors(ctx.load_findings())
    if not found:
        return None
    return why(
        "{findings} open: a major finding must be closed before the decision",
        findings=listed(found),
    )


def no_overdue_major(_case: Case, ctx: TransitionContext) -> str | None:
    found = overdue_open(ctx.load_findings(), ctx.as_of)
    if not found:
        return None
    return why("{findings} past its period: close it first", findings=listed(found))


def refusable_for_findings(_case: Case, ctx: TransitionContext) -> str | None:
    if unresolved(ctx.load_findings(), ctx.as_of):
        return None
    return why("no major finding is unresolved past its period on {day}", day=ctx.as_of)


def both(first: Guard, then: Guard) -> Guard:
    """`first`, then (when it allows) `then`: the first refusal is the one given."""

    def guard(case: Case, ctx: TransitionContext) -> str | None:
        return first(case, ctx) or then(case, ctx)

    return guard


certifiable = both(g.stage2_passed, no_open_major)
recertifiable = both(g.recertifiable, no_open_major)
restorable_after_expiry = both(g.restorable_after_expiry, no_open_major)
restorable = both(g.restorable, no_overdue_major)

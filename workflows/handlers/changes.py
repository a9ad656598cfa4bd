"""Certificate changes: scope extension (asked, then decided), scope reduction, holder change and
transfer in from another body. Every input is checked, naming its field, before anything runs."""

from __future__ import annotations

from datetime import date

from workflows import commands as c
from workflows.certificate_changes import HolderChange, ScopeChange, Transfer
from workflows.certificate_machine import Trigger
from workflows.change_set import ChangeSet
from workflows.context import TransitionContext
from workflows.credit_code import validate_credit_code
from workflows.errors import InvalidInput
from workflows.handlers.handler_kit import (
    CaseReads,
    Now,
    Setup,
    context,
    not_future,
    text,
    transition,
)
from workflows.model import Case, StarLevel
from workflows.why import listing, why

MAX_SURVEILLANCES = 10
"""More surveillances than any cycle has: a bound on input, not a rule."""


def request_extension(
    cmd: c.RequestScopeExtension, reads: CaseReads, setup: Setup, now: Now
) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    _in_state(case, Trigger.REQUEST_SCOPE_EXTENSION, ctx, setup)
    ctx.change = ScopeChange(text("scope", cmd.scope, one_line=True))
    return _run(
        "RequestScopeExtension",
        Trigger.REQUEST_SCOPE_EXTENSION,
        case,
        reads,
        setup,
        now,
        ctx,
        cmd.by,
    )


def extend(cmd: c.ExtendScope, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    return _run("ExtendScope", Trigger.EXTEND_SCOPE, case, reads, setup, now, ctx, cmd.by)


def reduce(cmd: c.ReduceScope, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today, reason=text("reason", cmd.reason))
    _in_state(case, Trigger.REDUCE_SCOPE, ctx, setup)
    ctx.change = ScopeChange(text("scope", cmd.scope, one_line=True))
    return _run("ReduceScope", Trigger.REDUCE_SCOPE, case, reads, setup, now, ctx, cmd.by)


def change_holder(cmd: c.ChangeHolder, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    _in_state(case, Trigger.CHANGE_HOLDER, ctx, setup)
    holder = text("holder", cmd.holder, one_line=True)
    address = None if cmd.address is None else text("address", cmd.address, one_line=True)
    code = validate_credit_code(cmd.credit_code)
    organisation = ctx.load_organisation()
    assert organisation is not None
    if code != organisation.credit_code:
        raise InvalidInput(
            "credit_code",
            why(
                "{code} is not the holder's ({holder}): a holder change renames the same legal "
                "entity; another entity applies for (or transfers in) a certificate of its own",
                code=code,
                holder=organisation.credit_code,
            ),
        )
    ctx.change = HolderChange(holder, address, code)
    return _run("ChangeHolder", Trigger.CHANGE_HOLDER, case, reads, setup, now, ctx, cmd.by)


def transfer_in(cmd: c.TransferIn, reads: CaseReads, setup: Setup, now: Now) -> ChangeSet:
    case = reads.case(cmd.case_id)
    ctx = context(reads, setup, case, now.today)
    _in_state(case, Trigger.TRANSFER_IN, ctx, setup)
    ctx.change = checked_transfer(cmd, now.today)
    return _run("TransferIn", Trigger.TRANSFER_IN, case, reads, setup, now, ctx, cmd.by)


def checked_transfer(cmd: c.TransferIn, today: date) -> Transfer:
    """The transferred certificate, or InvalidInput naming the first field that cannot be."""
    body = text("previous_body", cmd.previous_body, one_line=True)
    number = text("previous_number", cmd.previous_number, one_line=True)
    status = str(cmd.previous_status).strip().lower()
    if status != "active":
        raise InvalidInput(
            "previous_status",
            why(
                "{status!r}: only a valid certificate transfers (IAF MD 2); a suspended, "
                "withdrawn or expired one does not, the organisation applies anew",
                status=cmd.previous_status,
            ),
        )
    try:
        star = StarLevel(cmd.star_level)
    except ValueError:
        allowed = listing(s.value for s in StarLevel)
        said = why("{value!r} is not one of {allowed}", value=cmd.star_level, allowed=allowed)
        raise InvalidInput("star_level", said) from None
    if cmd.expires_on < today:
        raise InvalidInput(
            "expires_on",
            why(
                "the certificate expired on {day} (today is {today}): an expired certificate "
                "does not transfer",
                day=cmd.expires_on,
                today=today,
            ),
        )
    not_future("decided_on", cmd.decided_on, today)
    if cmd.decided_on >= cmd.expires_on:
        raise InvalidInput(
            "decided_on",
            why("{day} is not before the expiry {expiry}", day=cmd.decided_on,
                expiry=cmd.expires_on),
        )  # fmt: skip
    if not isinstance(cmd.surveillances, int) or not (0 <= cmd.surveillances <= MAX_SURVEILLANCES):
        raise InvalidInput("surveillances", why("must be 0 to {most}", most=MAX_SURVEILLANCES))
    last = cmd.last_surveillance_on
    if cmd.surveillances and last is None:
        said = why("the date of the last surveillance is needed")
        raise InvalidInput("last_surveillance_on", said)
    if last is not None:
        if not cmd.surveillances:
            said = why("given, but no surveillance is counted")
            raise InvalidInput("last_surveillance_on", said)
        not_future("last_surveillance_on", last, today)
        if last < cmd.decided_on:
            raise InvalidInput(
                "last_surveillance_on",
                why("{day} is before the cycle's decision {decided}", day=last,
                    decided=cmd.decided_on),
            )  # fmt: skip
    return Transfer(body, number, cmd.decided_on, cmd.expires_on, star, cmd.surveillances, last)


def _in_state(case: Case, trigger: Trigger, ctx: TransitionContext, setup: Setup) -> None:
    """Refuse a change from a state it is not for, before its input is read."""
    spec = setup.machine.spec(trigger)
    if spec is not None and case.state not in spec.sources:
        raise setup.machine.refuse(case, setup.machine.check(case, trigger, ctx))


def _run(
    command: str,
    trigger: Trigger,
    case: Case,
    reads: CaseReads,
    setup: Setup,
    now: Now,
    ctx: TransitionContext,
    by: str,
) -> ChangeSet:
    check = setup.machine.check(case, trigger, ctx)
    return transition(command, reads, setup, now, case, check, ctx, by)

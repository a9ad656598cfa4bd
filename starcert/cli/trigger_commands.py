"""Which `starcert` command fires each lifecycle trigger: what a refusal and `show` offer.

The domain names triggers (`accept_application`, `surveil`); an operator types commands. Some
triggers share a command (the rules decide between `certify` and `refuse_certification` when
`starcert decide` runs); some only the daemon fires, when their deadline passes.
"""

from __future__ import annotations

from workflows.errors import IllegalTransition

COMMANDS: dict[str, str | None] = {
    "accept_application": "review {case}",
    "refuse_application": "review {case}",
    "complete_stage1": "audit record {case} --kind stage1",
    "record_stage2": "audit record {case} --kind stage2",
    "certify": "decide {case}",
    "refuse_certification": "decide {case}",
    "surveil": "audit record {case} --kind surveillance",
    "fail_surveillance": "audit record {case} --kind surveillance",
    "suspend": "suspend {case}",
    "restore": "restore {case}",
    "withdraw": "withdraw {case}",
    "recertify": "audit record {case} --kind recertification",
    "restore_after_expiry": "audit record {case} --kind recertification",
    "cancel": "cancel {case}",
    "note_audit": "audit record {case} --kind special",
    "request_scope_extension": "change request-extension {case}",
    "extend_scope": "change extend-scope {case}",
    "reduce_scope": "change reduce-scope {case}",
    "change_holder": "change holder {case}",
    "transfer_in": "change transfer-in {case}",
    "expire": None,
    "remind": None,
    "refuse_for_findings": None,
}
"""Trigger → the command that fires it ({case}: the case id); None: only the daemon fires it."""


def command_for(trigger: str, case_id: int) -> str:
    """What an operator runs to fire `trigger` on case `case_id`, in words."""
    command = COMMANDS.get(trigger)
    if command is None:
        return f"{trigger} (the daemon fires it when its deadline passes)"
    return "starcert " + command.format(case=case_id)


def refusal(exc: IllegalTransition, case_id: int) -> str:
    """A refused transition, naming the commands the operator can run from the case's state."""
    offered = ", ".join(dict.fromkeys(command_for(t, case_id) for t in exc.allowed)) or "none"
    return (
        f"{exc.case} is {exc.state}: {exc.trigger} refused ({exc.why}); "
        f"allowed from {exc.state}: {offered}"
    )

"""A console action's form as the lifecycle command it asks for: the reason a sanction needs,
the cause of a suspension, and the day a late entry took effect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from starcert.web.language import gettext as _
from workflows import commands as c
from workflows.errors import InvalidInput
from workflows.model import SuspensionCause

NEEDS_REASON = frozenset({"suspend", "restore", "withdraw", "cancel"})

DATED = frozenset({"decide", "suspend", "restore", "withdraw", "cancel"})
"""Actions an operator may enter late, dated the day they took effect (the CLI's --on)."""


def _on(action: str, form: dict[str, str]) -> date | None:
    """The day a late entry took effect (empty: today); the lifecycle bounds it."""
    text = form.get("on", "").strip()
    if action not in DATED or not text:
        return None
    try:
        return date.fromisoformat(text)  # ISO digits only: other scripts' digits are refused
    except ValueError:
        raise InvalidInput(
            "on", _("%(value)r is not a date (YYYY-MM-DD)") % {"value": text[:40]}
        ) from None


def action_command(action: str, form: dict[str, str], by: str) -> Callable[[int], c.Command]:
    reason = form.get("reason", "").strip()
    if action in NEEDS_REASON and not reason:
        raise InvalidInput("reason", _("a reason is required"))
    on = _on(action, form)
    if action == "review":
        return lambda cid: c.ReviewApplication(case_id=cid, by=by)
    if action == "decide":
        return lambda cid: c.Decide(case_id=cid, by=by, on=on)
    if action == "expire":
        return lambda cid: c.Expire(case_id=cid, by=by)
    if action == "suspend":
        try:
            cause = SuspensionCause(form.get("cause", ""))
        except ValueError:
            raise InvalidInput("cause", _("choose a suspension cause")) from None
        return lambda cid: c.Suspend(cid, cause, reason, by, on)
    kinds: dict[str, type[c.Restore | c.Withdraw | c.Cancel]] = {
        "restore": c.Restore,
        "withdraw": c.Withdraw,
        "cancel": c.Cancel,
    }
    if action not in kinds:
        raise InvalidInput("action", _("unknown action %(action)r") % {"action": action[:40]})
    kind = kinds[action]
    return lambda cid: kind(cid, reason, by, on)

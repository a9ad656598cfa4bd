"""The domain's reasons (why a trigger is refused or allowed) in the page's language.

A reason made by `workflows.why.why` keeps its English message and values: the message is
translated and its values said in the page's words (codes as `term` names them, reasons within
reasons in turn, dates as they are). Any other text, such as a rule file's own message, is shown
as it was written.
"""

from __future__ import annotations

from typing import Any

from starcert.web.language import N_, gettext
from starcert.web.terms import term
from workflows.errors import IllegalTransition, InvalidInput, StarcertError
from workflows.model import AuditKind
from workflows.why import Why

AUDIT_KINDS: dict[str, str] = {
    "stage1": N_("stage 1"),
    "stage2": N_("stage 2"),
    "surveillance": N_("surveillance"),
    "recertification": N_("re-certification"),
    "special": N_("special"),
}
"""An audit kind inside a reason, before the word "audit" the reason says itself."""
WORDS = {
    "not certified": N_("not certified"),
    "the audit": N_("the audit"),
    "the response": N_("the response"),
}
"""Other values reasons carry that are not codes `term` knows."""


def say(reason: str) -> str:
    if not isinstance(reason, Why):
        return str(reason)
    values = {name: _value(value) for name, value in reason.values.items()}
    return gettext(reason.template).format(**values)


def refused(exc: StarcertError, message: str) -> str:
    """A refusal on a page: a refused trigger, or a field's refusal whose reason the domain gave
    as a `why`, in the page's language; any other as `message` (the API's words)."""
    if isinstance(exc, IllegalTransition):
        return refusal(exc)
    if isinstance(exc, InvalidInput) and isinstance(exc.message, Why):
        return f"{exc.field}: {say(exc.message)}"
    return message


def refusal(exc: IllegalTransition) -> str:
    """A refused trigger, on its case's page: which, and why, in the page's language."""
    return gettext("%(trigger)s refused: %(why)s") % {
        "trigger": term(exc.trigger),
        "why": say(exc.why),
    }


def _value(value: Any) -> str:
    if isinstance(value, Why):
        return say(value)
    if isinstance(value, AuditKind):
        return gettext(AUDIT_KINDS[value.value])
    if isinstance(value, str) and value in WORDS:
        return gettext(WORDS[value])
    if isinstance(value, str):
        return term(value)
    return str(value)

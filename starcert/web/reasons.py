"""The domain's reasons (why a trigger is refused or allowed) in the page's language.

A reason made by `workflows.why.why` keeps its English message and values: the message is
translated and its values said in the page's words (codes as `term` names them, reasons within
reasons in turn, dates as they are); a value the English quotes (`{value!r}`) is what someone
typed and is shown as typed. Any other text, such as a rule file's own message, is shown as it
was written. A refused field is named by the label its form shows (FIELDS).
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from starcert.web.language import N_, gettext
from starcert.web.terms import term
from workflows.errors import IllegalTransition, InvalidInput, StarcertError
from workflows.model import AuditKind
from workflows.why import Listed, Why

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
    "nothing": N_("nothing"),
}
"""Other values reasons carry that are not codes `term` knows."""
SEPARATOR = N_(", ")
"""Between the items of a list a reason names (workflows.why.listing)."""
FIELDS: dict[str, str] = {
    # the lifecycle actions (case.html)
    "on": N_("Took effect on"),
    "reason": N_("Reason"),
    "cause": N_("Cause"),
    # certificate changes (case_changes.html)
    "scope": N_("Scope"),
    "holder": N_("Holder's name"),
    "credit_code": N_("Credit code"),
    "address": N_("New address"),
    "previous_body": N_("Previous body"),
    "previous_number": N_("Its certificate number"),
    "previous_status": N_("Status there"),
    "decided_on": N_("Cycle decided on"),
    "expires_on": N_("Expires on"),
    "star_level": N_("Star level"),
    "surveillances": N_("Surveillances done"),
    "last_surveillance_on": N_("Last surveillance on"),
    # findings (case_findings.html)
    "audit_id": N_("Audit"),
    "severity": N_("Severity"),
    "indicator": N_("Indicator"),
    "evidence": N_("Evidence"),
    "correction": N_("Correction"),
    "corrective_action": N_("Corrective action"),
    "responded_on": N_("Response date"),
    "finding": N_("Audit finding"),
    # incidents (incidents.html)
    "deadline": N_("Deadline"),
}
"""A console form's field as its form labels it; a field not here is named as it is."""


def say(reason: str) -> str:
    if not isinstance(reason, Why):
        return str(reason)
    typed = _quoted(reason.template)
    values = {
        name: value if name in typed else _value(value) for name, value in reason.values.items()
    }
    return gettext(reason.template).format(**values)


def refused(exc: StarcertError, message: str) -> str:
    """A refusal on a page: a refused trigger, or a field's refusal (named by its label), in the
    page's language; any other as `message` (the API's words)."""
    if isinstance(exc, IllegalTransition):
        return refusal(exc)
    if isinstance(exc, InvalidInput):
        return gettext("%(field)s: %(reason)s") % {
            "field": field_label(exc.field),
            "reason": say(exc.message),
        }
    return message


def field_label(field: str) -> str:
    """The label of the form field `field` in the page's language (unknown: `field` itself)."""
    label = FIELDS.get(field)
    return gettext(label) if label is not None else field


def refusal(exc: IllegalTransition) -> str:
    """A refused trigger, on its case's page: which, and why, in the page's language."""
    return gettext("%(trigger)s refused: %(why)s") % {
        "trigger": term(exc.trigger),
        "why": say(exc.why),
    }


def _quoted(template: str) -> frozenset[str]:
    """The fields `template` quotes with !r: values as someone typed them."""
    return frozenset(
        name for _text, name, _spec, conversion in Formatter().parse(template)
        if name and conversion == "r"
    )  # fmt: skip


def _value(value: Any) -> str:
    if isinstance(value, Why):
        return say(value)
    if isinstance(value, Listed):
        return gettext(SEPARATOR).join(_value(item) for item in value.items)
    if isinstance(value, AuditKind):
        return gettext(AUDIT_KINDS[value.value])
    if isinstance(value, str) and value in WORDS:
        return gettext(WORDS[value])
    if isinstance(value, str):
        return term(value)
    return str(value)

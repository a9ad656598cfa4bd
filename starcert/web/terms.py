"""The words pages show for starcert's codes (states, star levels, triggers, causes, deadline
and audit kinds, roles ...), in English as message ids for the catalogue.

Pages keep the code in their markup (classes, data- attributes) and show `term(code)`, translated
into the request's language; a code without a word here is shown as it is.
"""

from __future__ import annotations

from starcert.web.language import N_, gettext

TERMS: dict[str, str] = {
    # certificate states
    "applied": N_("Applied"),
    "stage1": N_("Stage 1 document review"),
    "stage2": N_("Stage 2 on-site audit"),
    "decision": N_("Awaiting decision"),
    "active": N_("Valid"),
    "suspended": N_("Suspended"),
    "application_refused": N_("Application refused"),
    "not_certified": N_("Not certified"),
    "withdrawn": N_("Withdrawn"),
    "expired": N_("Expired"),
    "cancelled": N_("Cancelled"),
    # star levels, as certification bodies name them
    "five_star": N_("Five-star"),
    "four_star": N_("Four-star"),
    "three_star": N_("Three-star"),
    "qualified": N_("Qualified"),
    "not passed": N_("Not passed"),
    # triggers
    "accept_application": N_("accept application"),
    "refuse_application": N_("refuse application"),
    "complete_stage1": N_("complete stage 1"),
    "record_stage2": N_("record stage 2"),
    "certify": N_("certify"),
    "refuse_certification": N_("refuse certification"),
    "surveil": N_("surveillance audit"),
    "fail_surveillance": N_("failed surveillance"),
    "suspend": N_("suspend"),
    "restore": N_("restore"),
    "withdraw": N_("withdraw"),
    "recertify": N_("recertify"),
    "expire": N_("expire"),
    "restore_after_expiry": N_("restore after expiry"),
    "cancel": N_("cancel"),
    "remind": N_("reminder"),
    "note_audit": N_("note audit"),
    "incident_resolved": N_("incident resolved"),
    "refuse_for_findings": N_("refused for unresolved findings"),
    "request_scope_extension": N_("scope extension requested"),
    "extend_scope": N_("scope extended"),
    "reduce_scope": N_("scope reduced"),
    "change_holder": N_("holder changed"),
    "transfer_in": N_("transferred in"),
    # console certificate changes (their form names)
    "request-extension": N_("scope extension requested"),
    "extend-scope": N_("scope extended"),
    "reduce-scope": N_("scope reduced"),
    "holder": N_("holder changed"),
    "transfer-in": N_("transferred in"),
    "record_finding": N_("finding recorded"),
    "respond_to_finding": N_("response recorded"),
    "close_finding": N_("finding closed"),
    "reject_finding_response": N_("response rejected"),
    # console actions (each fires one or two triggers)
    "review": N_("review application"),
    "decide": N_("decide"),
    # suspension causes
    "overdue_surveillance": N_("overdue surveillance"),
    "failed_surveillance": N_("failed surveillance audit"),
    "serious_nonconformity": N_("serious nonconformity"),
    "mark_misuse": N_("misuse of the certification mark"),
    "client_request": N_("at the client's request"),
    "unresolved_nonconformity": N_("major finding not corrected in time"),
    # deadline kinds
    "surveillance_window_opens": N_("surveillance window opens"),
    "surveillance_due": N_("surveillance due"),
    "suspension_limit": N_("suspension limit"),
    "recert_reminder": N_("re-certification reminder"),
    "expiry": N_("expiry"),
    "restoration_allowance_ends": N_("restoration allowance ends"),
    "findings_due": N_("finding correction due"),
    # findings: severities and where their correction stands
    "major": N_("major nonconformity"),
    "minor": N_("minor nonconformity"),
    "observation": N_("observation"),
    "open": N_("open"),
    "responded": N_("responded"),
    "closed": N_("closed"),
    # audit kinds
    "surveillance": N_("surveillance audit"),
    "recertification": N_("re-certification audit"),
    "special": N_("special audit"),
    # announcements
    "grant": N_("granted"),
    "renewal": N_("renewed"),
    "suspension": N_("suspended"),
    "restoration": N_("restored"),
    "withdrawal": N_("withdrawn"),
    # roles
    "operator": N_("operator"),
    "auditor": N_("auditor"),
    "rule_author": N_("rule author"),
    "viewer": N_("viewer"),
    "admin": N_("administrator"),
    # auditors
    "senior_auditor": N_("senior auditor"),
    "consultancy": N_("consultancy"),
    "employment": N_("employment"),
    "valid": N_("valid"),
    "expiring": N_("expiring"),
    "lapsed": N_("lapsed"),
    "updated": N_("updated"),
    "added": N_("added"),
    # the shipped professional areas ([auditors] areas; a body's own are shown as written)
    "household_appliances": N_("household appliances"),
    "consumer_electronics": N_("consumer electronics"),
    "automobiles": N_("automobiles"),
    "furniture": N_("furniture"),
    "building_materials": N_("building materials"),
    "e_commerce": N_("e-commerce"),
    "logistics": N_("logistics"),
    "catering": N_("catering"),
}

AUDIT_KIND_STAGE = {"stage1": N_("stage 1 audit"), "stage2": N_("stage 2 audit")}
"""Audit kinds whose code is also a state's: as an audit they are named so."""


def term(code: object) -> str:
    """The word for `code` (an enum member or its value) in the request's language."""
    value = getattr(code, "value", code)
    text = str(value) if value is not None else ""
    word = TERMS.get(text)
    return gettext(word) if word is not None else text


def audit_kind(code: object) -> str:
    value = str(getattr(code, "value", code))
    word = AUDIT_KIND_STAGE.get(value)
    return gettext(word) if word is not None else term(value)

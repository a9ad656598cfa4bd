"""How cases, histories and the register look to an operator: dicts for --json, text for people."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from workflows.certificate_versions import versioned_number, versions
from workflows.deadlines import due_day
from workflows.findings import Finding, finding_dict
from workflows.model import Audit, Case, Deadline, Event, Organisation, State

REGISTER_FIELDS = [
    "certificate_number",
    "certification_status",
    "certification_type",
    "certification_scope",
    "certification_original_issue_date",
    "certification_issue_date",
    "certification_expiry_date",
    "certified_entity_name",
    "certified_entity_unique_id",
    "scheme_name",
    "star_level",
]

# IAF CertSearch certification_status vocabulary.
PUBLIC_STATUS: Mapping[State, str] = {
    State.ACTIVE: "active",
    State.SUSPENDED: "suspended",
    State.WITHDRAWN: "withdrawn",
    State.EXPIRED: "expired",
    State.CANCELLED: "cancelled",
}


def plain(value: Any) -> Any:
    """JSON-ready copy: dates ISO, Decimals as strings (exact), enums by value."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if is_dataclass(value) and not isinstance(value, type):
        return plain(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    return value


def case_dict(case: Case) -> dict[str, Any]:
    """The case's fields, and its certificate number as shown: with its version (-A1)."""
    data: dict[str, Any] = plain(case)
    data["certificate_number"] = versioned_number(case.number, case.amendments)
    return data


def case_line(case: Case) -> str:
    parts = [f"case {case.id}", case.state.value, case.holder]
    if case.number:
        parts.append(str(versioned_number(case.number, case.amendments)))
    if case.star_level:
        score = "" if case.final_score is None else f" ({case.final_score})"
        parts.append(f"{case.star_level.value}{score}")
    if case.expires_on:
        parts.append(f"expires {case.expires_on}")
    return "  ".join(parts)


def case_detail_dict(
    case: Case,
    events: Sequence[Event],
    deadlines: Sequence[Deadline],
    audits: Sequence[Audit],
    checks: Sequence[Any],
    findings: Sequence[Finding] = (),
) -> dict[str, Any]:
    return {
        "case": case_dict(case),
        "allowed_triggers": [plain(c) for c in checks if getattr(c, "allowed", False)],
        "refused_triggers": [plain(c) for c in checks if not getattr(c, "allowed", False)],
        "open_deadlines": [plain(d) for d in deadlines],
        "audits": [plain(a) for a in audits],
        "findings": [finding_dict(f) for f in findings],
        "versions": [plain(v) for v in versions(events)],
        "history": [plain(e) for e in events],
    }


def versions_text(listed: Sequence[Mapping[str, Any]], zone: ZoneInfo) -> list[str]:
    """Each version of the certificate: its number, the day and event that made it, what it
    changed; the last is the one in force."""
    lines = []
    for v in listed:
        day = datetime.fromisoformat(v["at"]).astimezone(zone).date()
        lines.append(f"    {v['number']:<28} {day}  event {v['seq']:>3}  {v['changed']}")
    return lines


def case_detail_text(
    data: Mapping[str, Any], zone: ZoneInfo, say: Callable[[str], str] = str
) -> str:
    """`show` in words: deadlines by their due day in the body's `zone` (as the console shows
    them), audits with their scores, and each allowed trigger as `say` names it to the reader."""
    case = data["case"]
    lines = [f"case {case['id']}: {case['holder']}  [{case['state']}]", f"  scope: {case['scope']}"]
    if case.get("number"):
        lines.append(
            f"  certificate {case.get('certificate_number') or case['number']}: "
            f"{case['star_level']} ({_scored(case['final_score'])}),"
            f" issued {case['issued_on']}, expires {case['expires_on']}"
        )
    if case["state"] == State.SUSPENDED.value and case.get("suspended_on"):
        lines.append(f"  suspended on {case['suspended_on']}: {case['suspension_cause']}")
    if case.get("rule_version"):
        lines.append(f"  decided under rule set version {case['rule_version']}")
    allowed = dict.fromkeys(say(c["trigger"]) for c in data["allowed_triggers"])
    lines.append(f"  allowed now: {', '.join(allowed) or 'none'}")
    if data["open_deadlines"]:
        lines.append("  open deadlines:")
        for d in data["open_deadlines"]:
            day = due_day(datetime.fromisoformat(d["due_at"]), zone)
            lines.append(f"    due {day}  {d['kind']}")
    if len(data.get("versions") or ()) > 1:
        lines.append("  certificate versions (the last in force):")
        lines += versions_text(data["versions"], zone)
    if data["audits"]:
        lines.append("  audits:")
        lines += _audit_lines(data["audits"], data["history"])
    if data.get("findings"):
        lines.append("  findings:")
        lines += [f"    {finding_line(f)}" for f in data["findings"]]
    lines.append("  history:")
    for e in data["history"]:
        move = f"{e['from_state'] or '-'} → {e['to_state']}"
        rule = (
            f"  rules {e['rule_version']} {str(e['rule_hash'] or '')[:12]}"
            if e["rule_version"]
            else ""
        )
        why = f"  ({e['reason']})" if e.get("reason") else ""
        lines.append(
            f"    {e['seq']:>3} {e['at']}  {e['trigger']:<22} {move}  by {e['actor']}{why}"
            f"{_score_text(e.get('data') or {})}{rule}"
        )
    return "\n".join(lines)


def _scored(final_score: str | None) -> str:
    """A certificate's score; one transferred in from another body has none of ours."""
    return "no score of ours: transferred" if final_score is None else f"score {final_score}"


def scored_audits(
    audits: Sequence[Mapping[str, Any]], history: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any], Mapping[str, Any] | None]]:
    """Each audit with the score its event recorded, or None (an event names its audit by kind,
    date and auditor; each is matched once, in order). `show` and the console's case page both
    read audits this way."""
    scored = [
        (e["data"]["audit"], e["data"].get("score"))
        for e in history
        if isinstance((e.get("data") or {}).get("audit"), Mapping)
    ]
    found_scores: list[tuple[Mapping[str, Any], Mapping[str, Any] | None]] = []
    for a in audits:
        key = {"kind": a["kind"], "date": a["audit_date"], "auditor": a["auditor"]}
        found = next((i for i, (named, _) in enumerate(scored) if named == key), None)
        score = scored.pop(found)[1] if found is not None else None
        found_scores.append((a, score if isinstance(score, Mapping) else None))
    return found_scores


def _audit_lines(
    audits: Sequence[Mapping[str, Any]], history: Sequence[Mapping[str, Any]]
) -> list[str]:
    """One line an audit: its date, kind and auditor, and the score and band its event recorded."""
    lines = []
    for a, score in scored_audits(audits, history):
        result = ""
        if score is not None:
            band = score.get("star_level") or "not passed"
            result = f"  score {score.get('final_score')}  {band}"
        elif a.get("sheet") is None:
            result = "  no score sheet"
        lines.append(f"    {a['audit_date']}  {a['kind']:<15} {a['auditor']}{result}")
    return lines


def finding_line(f: Mapping[str, Any]) -> str:
    """One line a finding (as `finding_dict` gives it): `show` and `finding list` alike."""
    due = f"  due {f['due_on']}" if f.get("due_on") else ""
    state = f["status"] + (f" {f['closed_on']}" if f.get("closed_on") else "")
    rejected = (
        f"  (response rejected: {f['rejected_reason']})"
        if f["status"] == "open" and f.get("rejected_reason")
        else ""
    )
    return (
        f"{f['label']:<4} {f['severity']:<11} {f['indicator']:<22} {state:<17}{due}"
        f"  audit {f['audit_id']} of {f['audit_date']}{rejected}"
    )


def _score_text(data: Mapping[str, Any]) -> str:
    """What a scored event found, as --json has it in `data.score`: the operator deciding on a
    stage 2, or reading a surveillance's re-banding, needs it without the JSON."""
    score = data.get("score")
    if not isinstance(score, Mapping):
        return ""
    band = score.get("star_level") or "not passed"
    was = data.get("previous_star_level")
    change = f" (was {was})" if was and was != score.get("star_level") else ""
    reasons = "; ".join(score.get("reasons") or [])
    return f"  score {score.get('final_score')} {band}{change}" + (
        f": {reasons}" if reasons else ""
    )


def register_row(
    case: Case, organisation: Organisation | None = None, first_issued_on: date | None = None
) -> dict[str, str]:
    def yyyymmdd(d: date | None) -> str:
        return d.strftime("%Y%m%d") if d else ""

    return {
        "certificate_number": versioned_number(case.number, case.amendments) or "",
        "certification_status": PUBLIC_STATUS.get(case.state, "inactive"),
        "certification_type": "Service Certification",
        "certification_scope": case.scope,
        "certification_original_issue_date": yyyymmdd(first_issued_on or case.issued_on),
        "certification_issue_date": yyyymmdd(case.issued_on),
        "certification_expiry_date": yyyymmdd(case.expires_on),
        "certified_entity_name": case.holder,
        "certified_entity_unique_id": organisation.credit_code if organisation else "",
        "scheme_name": "GB/T 27922-2011",
        "star_level": case.star_level.value if case.star_level else "",
    }


def safe_url(url: str) -> str:
    """The database URL without its password (storage, imported here, knows how to read one)."""
    from storage.database import shown_url

    return shown_url(url)

"""What changed between two team rule versions, in words: each rule (what it requires, its
message and outcome), the audit-time table row by row, the site share, the adjustments and their
bounds, the minimum and the team sizes. The same Change records as the criteria's diff."""

from __future__ import annotations

from decimal import Decimal

from engine.diff import Change, describe
from engine.team_rules import TABLE_KINDS, PersonnelRow, TeamRule, TeamRules, TeamSizeRow


def team_diff(old: TeamRules, new: TeamRules) -> list[Change]:
    changes: list[Change] = []
    add = changes.append
    for what in ("name", "version", "title"):
        if getattr(old, what) != getattr(new, what):
            add(
                Change("rule set", what, "changed", f"{getattr(old, what)} -> {getattr(new, what)}")
            )
    if old.effective_from != new.effective_from:
        add(
            Change(
                "rule set", "effective date", "changed",
                f"takes effect on {new.effective_from} (was {old.effective_from})",
            )
        )  # fmt: skip
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    for rid in [r.id for r in new.rules if r.id not in before]:
        add(Change("team rule", rid, "added", f"requires {_requires(after[rid])}"))
    for rid in [r.id for r in old.rules if r.id not in after]:
        add(Change("team rule", rid, "removed", f"required {_requires(before[rid])}"))
    for rid in [r.id for r in new.rules if r.id in before]:
        was, now = before[rid], after[rid]
        if was.requires != now.requires:
            add(
                Change(
                    "team rule", rid, "changed",
                    f"requires {_requires(now)} (was {_requires(was)})",
                )
            )  # fmt: skip
        if was.message != now.message:
            add(Change("team rule", rid, "changed", f"message {now.message!r}"))
        if was.outcome != now.outcome:
            add(Change("team rule", rid, "changed", f"outcome {was.outcome} -> {now.outcome}"))
    changes += _table(old, new)
    return changes


def _requires(rule: TeamRule) -> str:
    return describe(rule.requires) if rule.requires is not None else "-"


def _row(row: PersonnelRow) -> str:
    days = [f"{k} {_n(row.days[k])}" for k in TABLE_KINDS]
    if row.days["special"] != row.days["surveillance"]:  # else a special audit is a surveillance
        days.append(f"special {_n(row.days['special'])}")
    return ", ".join(days)


def _band(up_to: int | None) -> str:
    return f"up to {up_to} personnel" if up_to is not None else "above the rows"


def _n(value: Decimal | int) -> str:
    return format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)


def _size(row: TeamSizeRow) -> str:
    upto = f"up to {_n(row.up_to_days)} days" if row.up_to_days is not None else "longer"
    return f"{upto}: {row.members} member(s)"


def _table(old: TeamRules, new: TeamRules) -> list[Change]:
    a, b = old.audit_time, new.audit_time
    changes: list[Change] = []
    add = changes.append
    was = {r.up_to: r for r in a.personnel}
    now = {r.up_to: r for r in b.personnel}
    for key in [r.up_to for r in b.personnel]:
        if key not in was:
            add(Change("audit time", _band(key), "added", _row(now[key])))
        elif was[key].days != now[key].days:
            add(
                Change(
                    "audit time", _band(key), "changed",
                    f"{_row(now[key])} (was {_row(was[key])})",
                )
            )  # fmt: skip
    for key in [r.up_to for r in a.personnel if r.up_to not in now]:
        add(Change("audit time", _band(key), "removed", _row(was[key])))
    for name, x, y in (
        ("sites.extra_percent", a.extra_site_percent, b.extra_site_percent),
        ("sites.max_percent", a.max_site_percent, b.max_site_percent),
        ("bounds.max_reduction_percent", a.max_reduction_percent, b.max_reduction_percent),
        ("bounds.max_increase_percent", a.max_increase_percent, b.max_increase_percent),
        ("minimum_days", a.minimum_days, b.minimum_days),
    ):
        if x != y:
            add(Change("audit time", name, "changed", f"{_n(x)} -> {_n(y)}"))
    adj_was = {j.id: j for j in a.adjustments}
    adj_now = {j.id: j for j in b.adjustments}
    for aid, j in adj_now.items():
        if aid not in adj_was:
            add(Change("adjustment", aid, "added", f"{j.percent:+d}% ({j.message})"))
        elif adj_was[aid].percent != j.percent:
            add(
                Change(
                    "adjustment", aid, "changed", f"{adj_was[aid].percent:+d}% -> {j.percent:+d}%"
                )
            )
    for aid in adj_was.keys() - adj_now.keys():
        add(Change("adjustment", aid, "removed", f"{adj_was[aid].percent:+d}%"))
    if a.team_size != b.team_size:
        add(
            Change(
                "team size", "by days", "changed",
                "; ".join(_size(r) for r in b.team_size)
                + f" (was {'; '.join(_size(r) for r in a.team_size)})",
            )
        )  # fmt: skip
    return changes

"""`starcert team check`: the verdict of the team rules on a proposed audit team, rule by rule,
with the audit time and how it was reached (starcert.team_checking does the work).

Exit codes as for every command, and 3 when the rules refuse the team.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from starcert.cli.command_kit import CaseRef, Json, case_id, open_app, parse_day, rule_errors, run
from workflows.model import AuditKind

if TYPE_CHECKING:
    from starcert.team_checking import TeamVerdict

team_app = typer.Typer(help="Audit teams: the team rules and the audit time.", no_args_is_help=True)

REFUSED = 3


@team_app.command("check")
def check(
    ref: CaseRef,
    auditors: Annotated[
        str, typer.Option("--auditors", help="the team: auditor ids or registrations, a,b,c")
    ],
    leader: Annotated[
        str | None, typer.Option("--leader", help="the team leader (default: the first named)")
    ] = None,
    on: Annotated[
        str | None, typer.Option("--on", help="audit date YYYY-MM-DD (default: today)")
    ] = None,
    kind: Annotated[
        AuditKind | None,
        typer.Option("--kind", help="audit kind (default: the one the case waits for)"),
    ] = None,
    area: Annotated[
        str | None, typer.Option("--area", help="professional area, if not the application's")
    ] = None,
    personnel: Annotated[
        int | None,
        typer.Option("--personnel", min=1, help="effective personnel, if not the application's"),
    ] = None,
    sites: Annotated[
        int | None, typer.Option("--sites", min=1, help="sites, if not the application's")
    ] = None,
    adjust: Annotated[
        list[str] | None,
        typer.Option("--adjust", help="an audit-time adjustment the rule file lists (repeatable)"),
    ] = None,
    as_json: Json = False,
) -> None:
    """Would the team rules in force on the audit date accept this team for the case? Says why,
    rule by rule, with the audit time and how it was reached. Writes nothing."""

    def go() -> None:
        from starcert.team_checking import TeamRequest, check_team

        with rule_errors(), open_app() as application:
            verdict = check_team(
                application,
                TeamRequest(
                    case_id=case_id(application, ref),
                    auditors=[a for a in auditors.split(",") if a.strip()],
                    leader=leader,
                    on=None if on is None else parse_day(on, "--on"),
                    kind=kind,
                    area=area,
                    personnel=personnel,
                    sites=sites,
                    adjust=tuple(adjust or ()),
                ),
            )
        if as_json:
            typer.echo(json.dumps(verdict.to_dict(), indent=2, ensure_ascii=False))
        else:
            typer.echo(render(verdict))
        if not verdict.decision.accepted:
            raise typer.Exit(REFUSED)

    run(go)


def render(v: TeamVerdict) -> str:
    d = v.decision
    head = "ACCEPTED" if d.accepted else "REFUSED"
    members = ", ".join(
        f"{a.name} (auditor {a.id}{', leader' if a is v.team.leader else ''})"
        for a in v.team.members
    )
    given = ", ".join(
        f"{name} {getattr(v.sizing, name)}" + ("" if source == "application" else f" ({source})")
        for name, source in v.sizing.sources.items()
    )
    lines = [
        f"{head}  team for case {v.case.id} ({v.case.holder}), {v.kind.value} audit on "
        f"{v.audit_date} ({d.ruleset} {d.version}, sha256 {d.content_hash[:12]})",
        f"team: {members}",
        f"client: {given}",
        f"audit time: {v.time.days} person-days, a team of at least {v.time.members}",
        *(f"  {step}" for step in v.time.steps),
    ]
    for item in v.to_dict()["rules"]:
        mark = {"refused": "FAILED", "note": "NOTE", "passed": "passed"}[item["verdict"]]
        lines.append(f"  {mark} {item['rule']}: {item['message']}")
        if item["because"]:
            lines.append(f"      because {item['because']}")
    return "\n".join(lines)

"""`starcert plan`: the proposed teams and dates for the audits due (starcert.audit_planning),
`plan accept` to store a team as an audit's assignment (starcert.assignment_accepting), and
`plan assignments` to list them.

Exit codes as for every command, and 3 when the team rules refuse the team to accept.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starcert.cli.command_kit import (
    By,
    CaseRef,
    Json,
    ProgressOpt,
    case_id,
    open_app,
    parse_day,
    rule_errors,
    run,
)
from starcert.cli.progress_bar import progress_bar, wanted
from starcert.cli.team_commands import REFUSED, render
from workflows.model import AuditKind

if TYPE_CHECKING:
    from workflows.assignments import Assignment

plan_app = typer.Typer(
    help="Audit planning: proposed teams, and the teams accepted for each audit.",
    invoke_without_command=True,
)

Weeks = Annotated[int, typer.Option("--weeks", min=1, max=104, help="how far ahead")]


@plan_app.callback(invoke_without_command=True)
def plan_cmd(
    ctx: typer.Context,
    weeks: Weeks = 8,
    start: Annotated[
        str | None, typer.Option("--from", help="first day YYYY-MM-DD (default: today)")
    ] = None,
    as_json: Json = False,
    progress: ProgressOpt = None,
) -> None:
    """Propose a team and dates for every audit due in the next weeks (surveillance inside its
    window, re-certification before expiry), within availability and a fair share of each
    auditor's load, every team one the team rules accept; says why where there is none. An
    audit with an accepted team is shown as assigned, not proposed again. Writes nothing."""
    if ctx.invoked_subcommand is not None:
        return

    def go() -> None:
        from starcert.audit_planning import plan_audits

        day = None if start is None else parse_day(start, "--from")
        with (
            rule_errors(),
            open_app() as application,
            progress_bar(wanted(as_json, progress)) as bar,
        ):
            made = plan_audits(
                application, weeks, day, lambda done, total: bar.update("planning", done, total)
            )
        data = made.to_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
            return
        lines = [
            f"plan {data['from']} .. {data['to']}: {len(data['proposals'])} proposed, "
            f"{len(data['impossible'])} without a team, {len(data['assigned'])} assigned; "
            f"fair share {data['fair_share_days']} person-days an auditor"
        ]
        for p in data["proposals"]:
            team = ", ".join(f"{m['name']} ({m['id']})" for m in p["members"])
            lines.append(
                f"case {p['case_id']} {p['kind']}: {p['starts_on']} .. {p['ends_on']}, "
                f"{p['days']} person-days, led by auditor {p['leader']}: {team}"
            )
        for n in data["impossible"]:
            lines.append(f"case {n['case_id']} {n['kind']}: NO TEAM: {n['reason']}")
        for a in data["assigned"]:
            lines.append(
                f"case {a['case_id']} {a['kind']}: ASSIGNED {a['starts_on']} .. {a['ends_on']}, "
                f"led by auditor {a['leader']}, members "
                f"{', '.join(str(m) for m in a['members'])} (assignment {a['assignment']})"
            )
            said = "; ".join(f"{r['rule']}: {r['message']}" for r in a["refused_by"])
            if said or a["not_asked"] is not None:
                lines.append(
                    f"  {'REFUSED' if said else 'NOT ASKED'} by the team rules now in force on "
                    f"its first day (accepted under version {a['accepted_under']}; accept a team "
                    f"again: plan accept {a['case_id']} --auditors ... --from DAY): "
                    f"{said or a['not_asked']}"
                )
        typer.echo("\n".join(lines))

    run(go)


@plan_app.command("accept")
def accept_cmd(
    ref: CaseRef,
    by: By,
    kind: Annotated[
        AuditKind | None,
        typer.Option("--kind", help="audit kind (default: the proposal's, or the one due)"),
    ] = None,
    auditors: Annotated[
        str | None,
        typer.Option("--auditors", help="another team: auditor ids or registrations, a,b,c"),
    ] = None,
    leader: Annotated[
        str | None, typer.Option("--leader", help="another leader (default: the first named)")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="first audit day YYYY-MM-DD (default: proposed)")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="last audit day (default: as the audit time asks)")
    ] = None,
    weeks: Weeks = 8,
    as_json: Json = False,
) -> None:
    """Accept the plan's proposal for a case as it stands, or with another team, leader or
    dates: the team rules in force on the first day are asked again, and only a team they
    accept is stored (replacing the team accepted before for the same audit, which is kept).
    A refused team is told rule by rule, exit 3, nothing written."""

    def go() -> None:
        from starcert.assignment_accepting import AcceptRequest, accept
        from workflows.assignments import as_json as assignment_json

        with rule_errors(), open_app() as application:
            done = accept(
                application,
                AcceptRequest(
                    case_id=case_id(application, ref),
                    by=by,
                    kind=kind,
                    auditors=[a for a in (auditors or "").split(",") if a.strip()],
                    leader=leader,
                    starts_on=None if start is None else parse_day(start, "--from"),
                    ends_on=None if end is None else parse_day(end, "--to"),
                    weeks=weeks,
                ),
            )
        stored = done.assignment
        if as_json:
            data: dict[str, Any] = {
                "accepted": stored is not None,
                "assignment": None if stored is None else assignment_json(stored),
                "replaced": None if done.replaced is None else done.replaced.id,
                "verdict": done.verdict.to_dict(),
            }
            typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        elif stored is None:
            typer.echo(render(done.verdict) + "\nnothing stored: the rules refuse this team")
        else:
            replaced = "" if done.replaced is None else f", replacing assignment {done.replaced.id}"
            typer.echo(
                f"assignment {stored.id}: case {stored.case_id} {stored.kind} "
                f"{stored.starts_on} .. {stored.ends_on}, led by auditor {stored.leader_id}, "
                f"members {', '.join(str(m) for m in stored.member_ids)}; accepted by "
                f"{stored.accepted_by} under team rules {stored.rules_version}{replaced}"
            )
        if stored is None:
            raise typer.Exit(REFUSED)

    run(go)


@plan_app.command("assignments")
def assignments_cmd(
    ref: Annotated[
        str | None, typer.Argument(help="a case id or certificate number (default: every case)")
    ] = None,
    auditor: Annotated[
        str | None,
        typer.Option(
            "--auditor",
            metavar="ID|REGISTRATION",
            help="only the teams this auditor is in, in the order the audits start",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """The teams accepted: every current one, or every one of a case with those it replaced;
    with --auditor, an auditor's own audits."""

    def go() -> None:
        from starcert.team_checking import auditor_named
        from workflows.assignments import as_json as assignment_json
        from workflows.assignments import of_auditor

        with open_app() as application:
            store = application.database.assignments
            found = store.current() if ref is None else store.for_case(case_id(application, ref))
            if auditor is not None:
                named = auditor_named(application, auditor, "--auditor")
                found = of_auditor(found, named.id or 0)
        if as_json:
            typer.echo(json.dumps([assignment_json(a) for a in found], indent=2))
            return
        if not found:
            typer.echo("no assignment")
            return
        typer.echo("\n".join(_line(a) for a in found))

    run(go)


def _line(a: Assignment) -> str:
    state = "current" if a.current else f"replaced by {a.replaced_by}"
    return (
        f"{a.id}  case {a.case_id} {a.kind} {a.starts_on} .. {a.ends_on}  leader {a.leader_id}, "
        f"members {', '.join(str(m) for m in a.member_ids)}  accepted by {a.accepted_by} "
        f"{a.accepted_at.isoformat()}  ({state})"
    )

"""`starcert auditor add|show|list|update`: the auditor register (workflows.auditors).

Ranges are written FROM..TO (both days included); a relation ORG:KIND:FROM..TO, its TO left
empty while it lasts (`3:consultancy:2024-01-01..`). Every change records `--by` and the time.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from starcert.cli.command_kit import MAX_ID, By, Json, emit, open_app, parse_day, run
from workflows.auditors import (
    Auditor,
    AuditorEdit,
    AuditorNotFound,
    AuditorQuery,
    Grade,
    Qualification,
    Relation,
    RelationKind,
    Unavailability,
    as_json,
    qualification_status,
    relation_text,
)
from workflows.errors import InvalidInput

if TYPE_CHECKING:
    from starcert.app import App

auditor_app = typer.Typer(help="The auditor register.", no_args_is_help=True)

Id = Annotated[int, typer.Argument(metavar="ID", help="auditor id")]
GradeOpt = Annotated[Grade | None, typer.Option(help="auditor or senior_auditor")]

OPTION_OF = {
    "name": "--name",
    "registration": "--registration",
    "grade": "--grade",
    "valid_until": "--valid-until",
    "areas": "--area",
    "languages": "--language",
    "unavailable": "--unavailable",
    "relations": "--relation",
}
"""The option an operator typed, for a field the register refuses (update's add/remove too)."""


def span(text: str, option: str) -> Unavailability:
    start, sep, end = text.partition("..")
    if not sep or not end:
        raise InvalidInput(option, f"expected FROM..TO (e.g. 2026-05-01..2026-05-05), got {text!r}")
    return Unavailability(parse_day(start, option), parse_day(end, option))


def relation(text: str, option: str) -> Relation:
    parts = text.split(":")
    if len(parts) != 3 or ".." not in parts[2] or not (parts[0].isascii() and parts[0].isdigit()):
        raise InvalidInput(
            option, f"expected ORG:KIND:FROM..TO (e.g. 3:consultancy:2024-01-01..), got {text!r}"
        )
    org, kind, dates = parts
    try:
        which = RelationKind(kind)
    except ValueError:
        kinds = ", ".join(k.value for k in RelationKind)
        raise InvalidInput(option, f"kind {kind!r} is none of {kinds}") from None
    start, _, end = dates.partition("..")
    until = parse_day(end, option) if end else None
    return Relation(min(int(org), MAX_ID), which, parse_day(start, option), until)


def _refused_as_typed(action: Any, update: bool = False) -> Any:
    """Run `action`; a refused field is named by the option that set it (in an update, what
    it adds is checked, so a list's problem is its --add- option's)."""
    try:
        return action()
    except InvalidInput as exc:
        field = exc.field.removeprefix("remove_")
        option = OPTION_OF.get(field)
        if option is None:
            raise
        if exc.field.startswith("remove_"):
            option = f"--remove-{option[2:]}"
        elif update and field in ("areas", "languages", "unavailable", "relations"):
            option = f"--add-{option[2:]}"
        raise InvalidInput(option, exc.message) from None


def today(application: App) -> date:
    return application.clock.now().astimezone(application.config.zone).date()


def record(application: App, auditor: Auditor) -> dict[str, Any]:
    status = qualification_status(
        auditor, today(application), application.config.auditors.expiring_days
    )
    return {**as_json(auditor), "status": status.value}


def line(data: dict[str, Any]) -> str:
    return (
        f"auditor {data['id']}: {data['name']} {data['grade']} {data['registration']}, "
        f"valid {data['registered_on']}..{data['valid_until']} ({data['status']})"
    )


def details(auditor: Auditor, data: dict[str, Any]) -> list[str]:
    def listed(items: list[str]) -> str:
        return ", ".join(items) if items else "none"

    return [
        line(data),
        f"  areas: {listed(data['areas'])}",
        f"  languages: {listed(data['languages'])}",
        "  unavailable: " + listed([f"{s.starts_on}..{s.ends_on}" for s in auditor.unavailable]),
        f"  relations: {listed([relation_text(r) for r in auditor.relations])}",
    ]


@auditor_app.command("add")
def auditor_add(
    name: Annotated[str, typer.Option("--name", help="the auditor's name")],
    registration: Annotated[str, typer.Option("--registration", help="registration number")],
    grade: Annotated[Grade, typer.Option("--grade", help="auditor or senior_auditor")],
    registered: Annotated[str, typer.Option("--registered", metavar="YYYY-MM-DD")],
    valid_until: Annotated[str, typer.Option("--valid-until", metavar="YYYY-MM-DD")],
    by: By,
    area: Annotated[
        list[str] | None, typer.Option("--area", help="one of the body's areas")
    ] = None,
    language: Annotated[list[str] | None, typer.Option("--language", help="e.g. zh, en")] = None,
    unavailable: Annotated[
        list[str] | None, typer.Option("--unavailable", metavar="FROM..TO")
    ] = None,
    relation_: Annotated[
        list[str] | None,
        typer.Option("--relation", metavar="ORG:KIND:FROM..TO", help="consultancy or employment"),
    ] = None,
    as_json_: Json = False,
) -> None:
    """Register an auditor and their qualification."""

    def go() -> None:
        auditor = Auditor(
            None,
            name,
            Qualification(
                registration,
                grade,
                parse_day(registered, "--registered"),
                parse_day(valid_until, "--valid-until"),
            ),
            areas=tuple(area or ()),
            languages=tuple(language or ()),
            unavailable=tuple(span(t, "--unavailable") for t in unavailable or ()),
            relations=tuple(relation(t, "--relation") for t in relation_ or ()),
        )
        with open_app() as application:
            added = _refused_as_typed(lambda: application.auditors.add(auditor, by))
            data = record(application, added)
        emit(data, as_json_, lambda: line(data))

    run(go)


@auditor_app.command("show")
def auditor_show(auditor_id: Id, as_json_: Json = False) -> None:
    """An auditor, their qualification's status today and the history of their record."""

    def go() -> None:
        with open_app() as application:
            auditor = application.auditors.get(_id(auditor_id))
            history = application.auditors.history(_id(auditor_id))
            data = record(application, auditor)
        data["history"] = [
            {"at": h.at.isoformat(), "by": h.by, "action": h.action, "changes": dict(h.changes)}
            for h in history
        ]
        lines = [*details(auditor, data), "  history:"]
        lines += [f"    {h['at']} {h['by']} {h['action']}" for h in data["history"]]
        emit(data, as_json_, lambda: "\n".join(lines))

    run(go)


@auditor_app.command("list")
def auditor_list(
    area: Annotated[str | None, typer.Option("--area", help="qualified in this area")] = None,
    grade: GradeOpt = None,
    qualified_on: Annotated[
        str | None, typer.Option("--qualified-on", metavar="YYYY-MM-DD")
    ] = None,
    available_on: Annotated[
        str | None, typer.Option("--available-on", metavar="YYYY-MM-DD")
    ] = None,
    as_json_: Json = False,
) -> None:
    """Auditors, filtered by area, grade, qualification on a day or availability on a day."""

    def go() -> None:
        query = AuditorQuery(
            area=area,
            grade=grade,
            qualified_on=parse_day(qualified_on, "--qualified-on") if qualified_on else None,
            available_on=parse_day(available_on, "--available-on") if available_on else None,
        )
        with open_app() as application:
            found = _refused_as_typed(lambda: application.auditors.list(query))
            rows = [record(application, a) for a in found]
        lines = [line(r) for r in rows] or ["no auditors"]
        emit(rows, as_json_, lambda: "\n".join(lines))

    run(go)


@auditor_app.command("update")
def auditor_update(
    auditor_id: Id,
    by: By,
    name: Annotated[str | None, typer.Option("--name")] = None,
    registration: Annotated[str | None, typer.Option("--registration")] = None,
    grade: GradeOpt = None,
    registered: Annotated[str | None, typer.Option("--registered", metavar="YYYY-MM-DD")] = None,
    valid_until: Annotated[str | None, typer.Option("--valid-until", metavar="YYYY-MM-DD")] = None,
    add_area: Annotated[list[str] | None, typer.Option("--add-area")] = None,
    remove_area: Annotated[list[str] | None, typer.Option("--remove-area")] = None,
    add_language: Annotated[list[str] | None, typer.Option("--add-language")] = None,
    remove_language: Annotated[list[str] | None, typer.Option("--remove-language")] = None,
    add_unavailable: Annotated[
        list[str] | None, typer.Option("--add-unavailable", metavar="FROM..TO")
    ] = None,
    remove_unavailable: Annotated[
        list[str] | None, typer.Option("--remove-unavailable", metavar="FROM..TO")
    ] = None,
    add_relation: Annotated[
        list[str] | None, typer.Option("--add-relation", metavar="ORG:KIND:FROM..TO")
    ] = None,
    remove_relation: Annotated[
        list[str] | None, typer.Option("--remove-relation", metavar="ORG:KIND:FROM..TO")
    ] = None,
    expected_version: Annotated[
        int | None, typer.Option("--expected-version", help="refuse if changed since")
    ] = None,
    as_json_: Json = False,
) -> None:
    """Change an auditor's record: add or remove areas, languages, unavailable ranges and
    relations, or correct the qualification. The change is kept in the history."""

    def go() -> None:
        edit = AuditorEdit(
            name=name,
            registration=registration,
            grade=grade,
            registered_on=parse_day(registered, "--registered") if registered else None,
            valid_until=parse_day(valid_until, "--valid-until") if valid_until else None,
            add_areas=tuple(add_area or ()),
            remove_areas=tuple(remove_area or ()),
            add_languages=tuple(add_language or ()),
            remove_languages=tuple(remove_language or ()),
            add_unavailable=tuple(span(t, "--add-unavailable") for t in add_unavailable or ()),
            remove_unavailable=tuple(
                span(t, "--remove-unavailable") for t in remove_unavailable or ()
            ),
            add_relations=tuple(relation(t, "--add-relation") for t in add_relation or ()),
            remove_relations=tuple(relation(t, "--remove-relation") for t in remove_relation or ()),
        )
        with open_app() as application:
            updated = _refused_as_typed(
                lambda: application.auditors.update(_id(auditor_id), edit, by, expected_version),
                update=True,
            )
            data = record(application, updated)
        emit(data, as_json_, lambda: line(data))

    run(go)


def _id(auditor_id: int) -> int:
    if not 1 <= auditor_id <= MAX_ID:
        raise AuditorNotFound(f"auditor {auditor_id} not found")
    return auditor_id

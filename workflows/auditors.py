"""The auditor register: who the body may send on an audit (ISO/IEC 17021-1 clauses 7 and 9.1).

An auditor has a qualification (registration number, grade, registered on, valid until), the
professional areas of the body's own list, languages, unavailable date ranges and declared
relations with clients (impartiality). Records are checked here before any backend sees them:
a bad one is refused as InvalidInput naming the field, and nothing is written. Every change is
kept in the auditor's history (who, when, what). Pure: the clock and the register are injected.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any, TypeVar

from workflows.errors import InvalidInput, NotFound

T = TypeVar("T")


class AuditorNotFound(NotFound):
    pass


class Grade(StrEnum):
    AUDITOR = "auditor"
    SENIOR_AUDITOR = "senior_auditor"


class RelationKind(StrEnum):
    CONSULTANCY = "consultancy"
    EMPLOYMENT = "employment"


class QualificationStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"  # valid, but ends within the warning period
    LAPSED = "lapsed"  # ended (or not yet registered) on the day asked


@dataclass(frozen=True)
class Qualification:
    registration: str  # the registration number (e.g. CCAA's)
    grade: Grade
    registered_on: date
    valid_until: date  # last day it is valid

    def holds_on(self, day: date) -> bool:
        return self.registered_on <= day <= self.valid_until


@dataclass(frozen=True, order=True)
class Unavailability:
    """Days the auditor cannot audit, both ends included."""

    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True, order=True)
class Relation:
    """A declared tie with a client organisation; `ends_on` None while it lasts."""

    organisation_id: int
    kind: RelationKind
    starts_on: date
    ends_on: date | None = None


@dataclass(frozen=True)
class Auditor:
    id: int | None
    name: str
    qualification: Qualification
    areas: tuple[str, ...] = ()  # sorted, each from the body's list
    languages: tuple[str, ...] = ()  # sorted language tags, e.g. en, zh
    unavailable: tuple[Unavailability, ...] = ()  # sorted, none overlapping
    relations: tuple[Relation, ...] = ()  # sorted
    version: int = 0  # bumped by every saved change (optimistic lock)


@dataclass(frozen=True)
class AuditorChange:
    """One entry of an auditor's history: who changed what, when (append-only)."""

    id: int | None
    auditor_id: int
    at: datetime
    by: str
    action: str  # added or updated
    changes: Mapping[
        str, Any
    ]  # JSON-ready: field -> new value, or {"added": [...], "removed": [...]}


@dataclass(frozen=True)
class AuditorEdit:
    """What an update changes; anything left empty stays as it is."""

    name: str | None = None
    registration: str | None = None
    grade: Grade | None = None
    registered_on: date | None = None
    valid_until: date | None = None
    add_areas: tuple[str, ...] = ()
    remove_areas: tuple[str, ...] = ()
    add_languages: tuple[str, ...] = ()
    remove_languages: tuple[str, ...] = ()
    add_unavailable: tuple[Unavailability, ...] = ()
    remove_unavailable: tuple[Unavailability, ...] = ()
    add_relations: tuple[Relation, ...] = ()
    remove_relations: tuple[Relation, ...] = ()


@dataclass(frozen=True)
class AuditorQuery:
    """`list` filters; each None matches everyone."""

    area: str | None = None
    grade: Grade | None = None
    qualified_on: date | None = None
    available_on: date | None = None


LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TEXT = 200


# --- checks ----------------------------------------------------------------------------------


def checked_text(value: str, name: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise InvalidInput(name, "must not be empty")
    if len(cleaned) > MAX_TEXT:
        raise InvalidInput(name, f"at most {MAX_TEXT} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in cleaned):
        raise InvalidInput(name, "must not hold control characters")
    return cleaned


def check_area(area: str, known: Sequence[str], name: str = "areas") -> str:
    if area not in known:
        raise InvalidInput(name, f"unknown area {area!r}; the body's areas are: {', '.join(known)}")
    return area


def check_language(language: str, name: str = "languages") -> str:
    if not LANGUAGE.match(language):
        raise InvalidInput(name, f"{language!r} is not a language tag such as zh or en")
    return language


def check_range(start: date, end: date | None, name: str) -> None:
    if end is not None and end < start:
        raise InvalidInput(name, f"ends {end.isoformat()} before it starts {start.isoformat()}")


def check_auditor(
    auditor: Auditor, areas: Sequence[str], missing_organisations: Callable[[Iterable[int]], Any]
) -> Auditor:
    """`auditor` as stored (trimmed, sorted), or InvalidInput naming the first wrong field.

    `missing_organisations(ids)` answers which of `ids` the database does not hold.
    """
    q = auditor.qualification
    qualification = replace(q, registration=checked_text(q.registration, "registration"))
    if q.valid_until <= q.registered_on:
        raise InvalidInput(
            "valid_until",
            f"{q.valid_until.isoformat()} is not after the registration date "
            f"{q.registered_on.isoformat()}",
        )
    for area in auditor.areas:
        check_area(area, areas)
    for language in auditor.languages:
        check_language(language)
    spans = sorted(set(auditor.unavailable))
    for span in spans:
        check_range(span.starts_on, span.ends_on, "unavailable")
    for before, after in pairwise(spans):
        if after.starts_on <= before.ends_on:
            raise InvalidInput(
                "unavailable",
                f"{_span(after)} overlaps {_span(before)}; join them into one range",
            )
    relations = sorted(set(auditor.relations))
    for relation in relations:
        check_range(relation.starts_on, relation.ends_on, "relations")
    missing = sorted(missing_organisations({r.organisation_id for r in relations}))
    if missing:
        raise InvalidInput("relations", f"no organisation {missing[0]} is registered")
    return replace(
        auditor,
        name=checked_text(auditor.name, "name"),
        qualification=qualification,
        areas=tuple(sorted(set(auditor.areas))),
        languages=tuple(sorted(set(auditor.languages))),
        unavailable=tuple(spans),
        relations=tuple(relations),
    )


def _span(span: Unavailability) -> str:
    return f"{span.starts_on.isoformat()}..{span.ends_on.isoformat()}"


def apply_edit(auditor: Auditor, edit: AuditorEdit) -> Auditor:
    """The auditor with `edit` made; removing what it does not hold is refused, naming it."""
    q = auditor.qualification
    qualification = Qualification(
        registration=edit.registration if edit.registration is not None else q.registration,
        grade=edit.grade or q.grade,
        registered_on=edit.registered_on or q.registered_on,
        valid_until=edit.valid_until or q.valid_until,
    )
    return replace(
        auditor,
        name=edit.name if edit.name is not None else auditor.name,
        qualification=qualification,
        areas=_moved(auditor.areas, edit.add_areas, edit.remove_areas, "areas", str),
        languages=_moved(
            auditor.languages, edit.add_languages, edit.remove_languages, "languages", str
        ),
        unavailable=_moved(
            auditor.unavailable, edit.add_unavailable, edit.remove_unavailable, "unavailable", _span
        ),
        relations=_moved(
            auditor.relations, edit.add_relations, edit.remove_relations, "relations", relation_text
        ),
    )


def _moved(
    held: tuple[T, ...],
    add: tuple[T, ...],
    remove: tuple[T, ...],
    name: str,
    shown: Callable[[T], str],
) -> tuple[T, ...]:
    kept = list(held)
    for item in remove:
        if item not in kept:
            raise InvalidInput(
                f"remove_{name}", f"{shown(item)} is not on the record, so it cannot be removed"
            )
        kept.remove(item)
    return (*kept, *(a for a in add if a not in kept))


def relation_text(r: Relation) -> str:
    end = r.ends_on.isoformat() if r.ends_on else ""
    return f"{r.kind.value} with organisation {r.organisation_id} {r.starts_on.isoformat()}..{end}"


# --- history ---------------------------------------------------------------------------------


def as_json(auditor: Auditor) -> dict[str, Any]:
    """The record as JSON-ready data (CLI, API and the history share it)."""
    q = auditor.qualification
    return {
        "id": auditor.id,
        "name": auditor.name,
        "registration": q.registration,
        "grade": q.grade.value,
        "registered_on": q.registered_on.isoformat(),
        "valid_until": q.valid_until.isoformat(),
        "areas": list(auditor.areas),
        "languages": list(auditor.languages),
        "unavailable": [
            {"from": s.starts_on.isoformat(), "to": s.ends_on.isoformat()}
            for s in auditor.unavailable
        ],
        "relations": [
            {
                "organisation_id": r.organisation_id,
                "kind": r.kind.value,
                "from": r.starts_on.isoformat(),
                "to": r.ends_on.isoformat() if r.ends_on else None,
            }
            for r in auditor.relations
        ],
        "version": auditor.version,
    }


def differences(before: Auditor, after: Auditor) -> dict[str, Any]:
    """What changed, field by field: new scalar values, and lists as added/removed."""
    old, new = as_json(before), as_json(after)
    changed: dict[str, Any] = {}
    for key in ("name", "registration", "grade", "registered_on", "valid_until"):
        if old[key] != new[key]:
            changed[key] = new[key]
    for key in ("areas", "languages", "unavailable", "relations"):
        added = [x for x in new[key] if x not in old[key]]
        removed = [x for x in old[key] if x not in new[key]]
        if added or removed:
            changed[key] = {"added": added, "removed": removed}
    return changed


# --- reading ---------------------------------------------------------------------------------


def qualification_status(auditor: Auditor, on: date, warn_days: int) -> QualificationStatus:
    q = auditor.qualification
    if not q.holds_on(on):
        return QualificationStatus.LAPSED
    if q.valid_until <= on + timedelta(days=warn_days):
        return QualificationStatus.EXPIRING
    return QualificationStatus.VALID


def available_on(auditor: Auditor, day: date) -> bool:
    return not any(span.covers(day) for span in auditor.unavailable)


def matching(auditors: Iterable[Auditor], query: AuditorQuery) -> list[Auditor]:
    return [
        a
        for a in auditors
        if (query.area is None or query.area in a.areas)
        and (query.grade is None or a.qualification.grade is query.grade)
        and (query.qualified_on is None or a.qualification.holds_on(query.qualified_on))
        and (query.available_on is None or available_on(a, query.available_on))
    ]

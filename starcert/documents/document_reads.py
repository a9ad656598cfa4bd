"""A certificate's document versions read from the database, and each rendered as asked.

The versions come from the case's event trail (document_versions); the holder's credit code from
its organisation; the band's wording from the rule version that decided it (rule versions are
immutable, so a version regenerated later prints what it printed first).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from starcert.documents.document_html import Bounds, CertificatePage, certificate_page
from starcert.documents.document_versions import (
    DocumentVersion,
    chosen,
    document_versions,
    of_number,
)
from workflows.errors import CaseNotFound, InvalidInput

if TYPE_CHECKING:
    from starcert.app import App

Format = Literal["pdf", "html"]
MEDIA_TYPES: dict[str, str] = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class CertificateDocuments:
    """The versions of certificate `number` (held by case `case_id`), oldest first."""

    case_id: int
    number: str
    versions: tuple[DocumentVersion, ...]


def case_versions(application: App, case_id: int) -> tuple[DocumentVersion, ...]:
    """Every document version of the case, under all its numbers: read from the trail once
    per chain head (starcert.documents.versions_memo)."""
    memo = application.document_versions
    with application.uow() as uow:
        case = uow.cases.get(case_id)
        head = uow.events.head(case_id)
        key = (case_id, 0 if head is None else head.seq)
        found = memo.get(key)
        if found is not None:
            return found
        events = list(uow.events.for_case(case_id))
        organisation = uow.organisations.get(case.organisation_id)
    found = document_versions(
        events, organisation.credit_code, application.config.zone, case.holder
    )
    if events and events[-1].seq == key[1]:  # the trail read is the one the key names
        memo.put(key, found)
    return found


def documents_of(application: App, ref: str) -> CertificateDocuments:
    """The documents of case `ref` (an id: its current number) or of certificate number `ref`
    (a number a renewal replaced keeps its own versions): what the CLI's CASE means."""
    ref = ref.strip()
    if not (ref.isascii() and ref.isdigit()):
        return documents_of_number(application, ref)
    if int(ref) > 2**62:
        raise CaseNotFound(f"case {ref} not found")
    with application.uow() as uow:
        case = uow.cases.get(int(ref))
    if not case.number:
        raise InvalidInput(
            "case", f"case {ref} has no certificate ({case.state}): it has no document"
        )
    assert case.id is not None
    return CertificateDocuments(case.id, case.number, _versions(application, case.id, case.number))


def documents_of_number(application: App, number: str) -> CertificateDocuments:
    """The documents of certificate `number`, current or replaced by a renewal."""
    from starcert.api.operations import checked_number
    from storage.database import case_holding

    number = checked_number(number)
    case = case_holding(application.database, number)
    assert case.id is not None
    return CertificateDocuments(case.id, number, _versions(application, case.id, number))


def _versions(application: App, case_id: int, number: str) -> tuple[DocumentVersion, ...]:
    return tuple(of_number(case_versions(application, case_id), number))


def band_bounds(application: App, version: DocumentVersion) -> Bounds | None:
    """The score band of the version's star level in the rule version that decided it."""
    c = version.content
    if c.star_level is None or c.rule_version is None:
        return None
    for indexed in application.rules.book.index:
        if indexed.version == c.rule_version:
            for band in indexed.ruleset().bands:
                if band.name == str(c.star_level):
                    return band.lower, band.upper
    return None


def page_of(application: App, version: DocumentVersion) -> CertificatePage:
    return certificate_page(version, application.config.body, band_bounds(application, version))


def rendered(
    application: App, documents: CertificateDocuments, version: int | None, form: Format
) -> tuple[DocumentVersion, bytes]:
    """Version `version` (the newest when None) of these documents, as `form`."""
    wanted = chosen(documents.versions, documents.number, version)
    page = page_of(application, wanted)
    if form == "html":
        return wanted, page.html.encode("utf-8")
    from starcert.documents.document_pdf import certificate_pdf

    return wanted, certificate_pdf(page)


def file_name(version: DocumentVersion, form: Format) -> str:
    return f"{version.number}-v{version.version}.{form}"


def public_versions(application: App, case_id: int, number: str) -> list[DocumentVersion]:
    """The versions of `number`, which case `case_id` holds now (the public lookup found it)."""
    return list(_versions(application, case_id, number))

"""The public verification's view of a certificate's documents: the content hash of its current
version, and what a hash read off a paper or PDF copy is the hash of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starcert.api import schemas as s
from starcert.documents.document_reads import public_versions
from starcert.documents.document_versions import DocumentVersion, check_hash, checked_hash
from workflows.numbering import case_id_of

if TYPE_CHECKING:
    from starcert.app import App


def versions_of(application: App, number: str) -> list[DocumentVersion]:
    """The document versions of `number`, which the public lookup found on the register."""
    case_id = case_id_of(number)
    return [] if case_id is None else public_versions(application, case_id, number)


def with_documents(
    application: App, found: s.PublicCertificate, asked_hash: str | None
) -> s.PublicCertificate:
    """`found` with its current document and, when a hash was asked, what it is the hash of."""
    versions = versions_of(application, found.certificate_number)
    current = versions[-1] if versions else None
    document = None
    if current is not None:
        document = s.DocumentOut(
            version=current.version,
            label=current.content.label,
            effective_on=current.content.effective_on,
            content_hash=current.content_hash,
        )
    check = None
    if asked_hash is not None:
        said = check_hash(versions, found.certificate_number, asked_hash)
        check = s.HashCheckOut(
            hash=said.hash, matches=said.matches, version=said.version, label=said.label
        )
    return found.model_copy(update={"document": document, "hash_check": check})


def checked(asked_hash: str | None) -> str | None:
    """The hash as asked (refused, naming `hash`, unless 64 hexadecimal characters)."""
    return None if asked_hash is None else checked_hash(asked_hash)

"""The document versions kept by chain head: bounded, the least recently asked let go first."""

from __future__ import annotations

from datetime import date

from starcert.documents.document_versions import CertifiedContent, DocumentVersion, content_hash
from starcert.documents.versions_memo import VersionsMemo


def versions(number: str) -> tuple[DocumentVersion, ...]:
    content = CertifiedContent(
        number=number,
        version=1,
        label=f"{number} v1",
        holder="福州家电服务有限公司",
        credit_code="91350100M000100Y43",
        scope="家用电器售后服务",
        star_level=None,
        issued_on=date(2026, 3, 1),
        expires_on=date(2029, 2, 28),
        rule_version="1",
        effective_on=date(2026, 3, 1),
    )
    return (DocumentVersion(content, content_hash(content), 5, "certify"),)


def test_a_moved_chain_head_is_another_key_and_the_oldest_asked_goes_first() -> None:
    memo = VersionsMemo(size=2)
    memo.put((1, 5), versions("A"))
    memo.put((2, 3), versions("B"))
    assert memo.get((1, 6)) is None  # case 1 has a new event: its versions are read again
    assert memo.get((1, 5)) == versions("A")  # asked: now the most recent
    memo.put((3, 9), versions("C"))  # over the bound: case 2, least recently asked, goes
    assert memo.get((2, 3)) is None
    assert memo.get((1, 5)) == versions("A") and memo.get((3, 9)) == versions("C")

"""Certificate document versions, derived from a case's event trail (pure: no I/O, no clock).

Each event after which the certified content differs from the version before makes a new version
of the document: issuance, a surveillance that re-bands (or is decided under another rule
version), a restoration with a new score, a re-certification (under a new number when the body
issues one). A suspension changes the status, which the public verification shows, not the
certificate. The content is read off `workflows.case_replay.replay` of the trail up to each event,
so every change the case row takes from its trail reaches the document the same way.

The content hash is SHA-256 over the canonical JSON of the content printed on the document
(`canonical_json`), never over PDF bytes: the same version regenerated years later, by another
WeasyPrint or font, has the same hash.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal
from zoneinfo import ZoneInfo

from workflows.case_replay import UNRECORDED, replay
from workflows.errors import BrokenRecord, InvalidInput
from workflows.model import Event, StarLevel

FORMAT = 1
"""The version of the hashed content's layout: a change of its fields is a new format."""
SCHEME = "GB/T 27922-2011"
HASH_LENGTH = 64


def version_label(number: str, triggers: Sequence[str]) -> str:
    """How version `len(triggers)` of certificate `number` is named on paper and on the public
    page; `triggers` are the triggers of the events that made each version of the number so far,
    oldest first. Every label is made here, so a kind of change with its own naming (an
    amendment's suffix) is added in this one place."""
    return f"{number} v{len(triggers)}"


@dataclass(frozen=True)
class CertifiedContent:
    """What a certificate document certifies: every field is printed and hashed."""

    number: str
    version: int
    label: str
    holder: str
    credit_code: str
    scope: str
    star_level: StarLevel | None
    issued_on: date
    expires_on: date
    rule_version: str | None
    effective_on: date  # the day (in the body's zone) the event making this version happened

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "scheme": SCHEME,
            "number": self.number,
            "version": self.version,
            "label": self.label,
            "holder": self.holder,
            "credit_code": self.credit_code,
            "scope": self.scope,
            "star_level": None if self.star_level is None else str(self.star_level),
            "issued_on": self.issued_on.isoformat(),
            "expires_on": self.expires_on.isoformat(),
            "rule_version": self.rule_version,
            "effective_on": self.effective_on.isoformat(),
        }


def canonical_json(content: CertifiedContent) -> str:
    """The exact text the content hash is taken over: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(content.as_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(content: CertifiedContent) -> str:
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DocumentVersion:
    content: CertifiedContent
    content_hash: str
    seq: int  # the event that made it
    trigger: str

    @property
    def number(self) -> str:
        return self.content.number

    @property
    def version(self) -> int:
        return self.content.version


_CERTIFIED = ("number", "holder", "scope", "star_level", "issued_on", "expires_on", "rule_version")


def document_versions(
    events: Sequence[Event], credit_code: str, zone: ZoneInfo, holder: str = ""
) -> tuple[DocumentVersion, ...]:
    """Every document version of the case these events are the trail of, oldest first.

    `credit_code` is the holder's (from its organisation); `holder` stands in for a holder name
    the trail's opening event did not record (trails written before it did).
    """
    found: list[DocumentVersion] = []
    triggers: dict[str, list[str]] = {}
    before: tuple[Any, ...] | None = None
    for k in range(1, len(events) + 1):
        event = events[k - 1]
        try:
            row, _ = replay(events[:k])
        except (KeyError, ValueError, TypeError) as exc:
            raise BrokenRecord(
                f"case {event.case_id}: event {event.seq} cannot be read back ({exc!r})"
            ) from None
        if not row.get("number"):
            before = None
            continue
        certified = tuple(row.get(name) for name in _CERTIFIED)
        if certified == before:
            continue
        before = certified
        number = str(row["number"])
        made = triggers.setdefault(number, [])
        made.append(event.trigger)
        named = row.get("holder", UNRECORDED)
        content = CertifiedContent(
            number=number,
            version=len(made),
            label=version_label(number, made),
            holder=holder if named is UNRECORDED else str(named),
            credit_code=credit_code,
            scope=str(row["scope"]),
            star_level=row.get("star_level"),
            issued_on=row["issued_on"],
            expires_on=row["expires_on"],
            rule_version=row.get("rule_version"),
            effective_on=event.at.astimezone(zone).date(),
        )
        found.append(DocumentVersion(content, content_hash(content), event.seq, event.trigger))
    return tuple(found)


def of_number(versions: Sequence[DocumentVersion], number: str) -> list[DocumentVersion]:
    return [v for v in versions if v.number == number]


def chosen(
    versions: Sequence[DocumentVersion], number: str, version: int | None
) -> DocumentVersion:
    """Version `version` of certificate `number` (its newest when None), or refused by name."""
    mine = of_number(versions, number)
    if not mine:
        raise InvalidInput("number", f"certificate {number} has no document (no version issued)")
    if version is None:
        return mine[-1]
    if not 1 <= version <= len(mine):
        raise InvalidInput(
            "version", f"certificate {number} has versions 1 to {len(mine)}, not {version}"
        )
    return mine[version - 1]


Match = Literal["current", "older", "none"]


@dataclass(frozen=True)
class HashCheck:
    """What a content hash read off a document is, against the versions of its number."""

    hash: str
    matches: Match
    version: int | None  # the version it is the hash of (None: of none)
    label: str | None


def checked_hash(text: str) -> str:
    value = text.strip().lower()
    if len(value) != HASH_LENGTH or any(ch not in "0123456789abcdef" for ch in value):
        raise InvalidInput(
            "hash", f"{text[:80]!r} is not a content hash (64 hexadecimal characters)"
        )
    return value


def check_hash(versions: Sequence[DocumentVersion], number: str, text: str) -> HashCheck:
    """`current` when it is the hash of the number's newest version, `older` when of an earlier
    one (superseded: the document is out of date), `none` when of no version of the number."""
    wanted = checked_hash(text)
    mine = of_number(versions, number)
    for position, v in enumerate(mine, start=1):
        if v.content_hash == wanted:
            kind: Match = "current" if position == len(mine) else "older"
            return HashCheck(wanted, kind, v.version, v.content.label)
    return HashCheck(wanted, "none", None, None)


def summary(version: DocumentVersion) -> Mapping[str, Any]:
    """A version as a listing shows it (CLI `certificate documents --json`, the API)."""
    return {
        "number": version.number,
        "version": version.version,
        "label": version.content.label,
        "effective_on": version.content.effective_on.isoformat(),
        "made_by": version.trigger,
        "event_seq": version.seq,
        "star_level": version.content.as_json()["star_level"],
        "content_hash": version.content_hash,
    }

"""Certificate numbers: unique, stable, and derived only from the case and its decision date.

`{prefix}-{year}-{case id:06d}` for the first certificate. When the body issues a new number on
re-certification (or restoration after expiry), the renewed number takes the new decision year
and a `-R{n}` suffix counting the renewals, so no two certificates ever share a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflows.model import Case

_RENEWAL = re.compile(r"-R(\d+)$")
_CASE_ID = re.compile(r"^[A-Z0-9]{1,8}-\d{4}-(\d{6,12})(?:-R\d+)?$")


def case_id_of(number: str) -> int | None:
    """The case a number was issued to (every number carries its case id), or None."""
    found = _CASE_ID.match(number)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class CertificateNumbers:
    prefix: str
    new_number_on_recertification: bool = True

    def first(self, case: Case, decided_on: date) -> str:
        if case.id is None:
            raise ValueError("a case needs its id before it gets a certificate number")
        return f"{self.prefix}-{decided_on.year}-{case.id:06d}"

    def renewed(self, case: Case, decided_on: date) -> str:
        if not self.new_number_on_recertification and case.number:
            return case.number
        found = _RENEWAL.search(case.number or "")
        renewal = int(found.group(1)) + 1 if found else 1
        return f"{self.first(case, decided_on)}-R{renewal}"

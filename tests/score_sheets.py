"""Test data every layer scores with: the shipped rule set's full marks and a good applicant."""

from __future__ import annotations

from typing import Any

FULL_MARKS: dict[str, Any] = {
    "organisation": 6,
    "staffing": 6,
    "resources": 6,
    "service_norms": 6,
    "supervision": 6,
    "improvement": 5,
    "service_culture": 5,
    "commodity_information": 5,
    "technical_support": 6,
    "delivery": 6,
    "repair": 7,
    "quality_guarantee": 7,
    "recycling": 4,
    "customer_relationship": 13,
    "complaint_handling": 12,
}
"""Points per indicator of rules/gbt27922-2011.yaml: 100 in all."""

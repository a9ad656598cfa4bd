"""The rule file's lifecycle numbers: each a whole number of months, and consistent together."""

from __future__ import annotations

from typing import Any

from engine.node_reader import MAX_MONTHS, NodeReader
from engine.ruleset import LIFECYCLE_KEYS, LifecycleNumbers
from engine.source import line_of


def read_lifecycle(reader: NodeReader, node: Any, line: int | None) -> LifecycleNumbers | None:
    item = reader.mapping(node, "lifecycle", line)
    if item is None or not reader.keys(item, "lifecycle", LIFECYCLE_KEYS):
        return None
    values = {
        k: reader.whole(
            item, k, "lifecycle", 0 if k == "restoration_after_expiry_months" else 1, MAX_MONTHS
        )
        for k in LIFECYCLE_KEYS
    }
    if any(v is None for v in values.values()):
        return None
    terms = LifecycleNumbers(**values)  # type: ignore[arg-type]
    checks = (
        (
            "first_surveillance_months",
            terms.first_surveillance_months < terms.validity_months,
            "the first surveillance must fall before the certificate expires",
        ),
        (
            "surveillance_interval_months",
            terms.surveillance_interval_months < terms.validity_months,
            "surveillances must fall within the validity",
        ),
        (
            "surveillance_window_months",
            terms.surveillance_window_months
            < min(terms.first_surveillance_months, terms.surveillance_interval_months),
            "the window must open after the previous audit",
        ),
        (
            "recert_reminder_months",
            terms.recert_reminder_months < terms.validity_months,
            "the reminder must come after the certificate starts",
        ),
        (
            "suspension_limit_months",
            terms.suspension_limit_months <= terms.validity_months,
            "a suspension cannot last longer than the certificate's validity",
        ),
        (
            "restoration_after_expiry_months",
            terms.restoration_after_expiry_months <= terms.validity_months,
            "the allowance after expiry cannot be longer than the validity",
        ),
    )
    for key, ok, why in checks:
        if not ok:
            reader.r.report(
                line_of(item, key), f"lifecycle.{key} = {values[key]} is inconsistent: {why}"
            )
    return terms

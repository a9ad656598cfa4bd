"""`rules diff`: what changed, rule by rule, in words."""

from __future__ import annotations

from pathlib import Path

from engine import RuleBook, load_ruleset
from engine.diff import diff
from tests.integration.conftest import REPO
from tests.rules_publish.conftest import SHIPPED, stricter


def test_the_stricter_body_s_second_version_reads_as_a_longer_running_time() -> None:
    old, new = RuleBook.from_directory(REPO / "rules" / "examples" / "strict-cb").versions
    said = [str(c) for c in diff(old, new)]
    assert (
        "running time min_months: at least 3 -> 6 calendar months before the application "
        "(longer)" in said
    )
    assert not any(s.startswith(("lifecycle", "band", "indicator")) for s in said)


def test_bands_lifecycle_and_points_are_named_with_their_direction(tmp_path: Path) -> None:
    old = load_ruleset(SHIPPED.read_bytes(), str(SHIPPED))
    text = stricter().replace(
        "{id: repair, name: Repair, dimension: commodity_service, points: 7}",
        "{id: repair, name: Repair, dimension: commodity_service, points: 8}",
    )
    text = text.replace(
        "{id: delivery, name: Delivery, dimension: commodity_service, points: 6}",
        "{id: delivery, name: Delivery, dimension: commodity_service, points: 5}",
    )
    new = load_ruleset(text.encode(), "v2.yaml", run_examples=False)
    said = {(c.part, c.subject): c.words for c in diff(old, new)}
    assert said[("band", "four_star")] == "from 90 -> 91 (harder to reach)"
    assert said[("lifecycle", "suspension_limit_months")] == "6 -> 4 months (shorter)"
    assert said[("indicator", "repair")] == "points 7 -> 8"
    assert said[("indicator", "delivery")] == "points 6 -> 5"


def test_identical_content_has_no_changes_and_comments_do_not_count() -> None:
    data = SHIPPED.read_bytes()
    a = load_ruleset(data, "a.yaml")
    b = load_ruleset(data + b"\n# a comment\n", "b.yaml")
    assert diff(a, b) == []


def test_a_new_prerequisite_is_listed_as_added_with_its_condition() -> None:
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "running_time:",
        "  - id: service_hotline\n"
        "    message: a staffed service hotline is required\n"
        "    require: {fact: has_dedicated_funds, eq: true}\n\nrunning_time:",
        1,
    )
    old = load_ruleset(SHIPPED.read_bytes(), "old.yaml")
    new = load_ruleset(text.encode(), "new.yaml", run_examples=False)
    added = [c for c in diff(old, new) if c.what == "added" and c.part == "prerequisite"]
    assert len(added) == 1 and added[0].subject == "service_hotline"
    assert "has_dedicated_funds is not true" in added[0].words


def test_an_example_whose_expectation_changed_is_listed_with_both_sides() -> None:
    """An author who changes what an example expects sees both sides in the diff."""
    old = load_ruleset(SHIPPED.read_bytes(), str(SHIPPED))
    text = SHIPPED.read_text(encoding="utf-8").replace(
        "expect: {outcome: ineligible, failures: [running_time], earliest_application: 2026-02-28}",
        "expect: {outcome: ineligible, failures: [running_time], earliest_application: 2026-03-01}",
    )
    new = load_ruleset(text.encode(), "v2.yaml", run_examples=False)
    said = [(c.part, c.subject, c.what, c.words) for c in diff(old, new)]
    assert said == [
        (
            "example",
            "one day short of the running time",
            "changed",
            "expects earliest_application 2026-03-01 (was 2026-02-28)",
        )
    ]
    assert diff(old, old) == []


def test_an_edited_copy_s_old_date_is_not_read_as_its_effective_date() -> None:
    newer = stricter().replace("effective_from: 2012-02-01", "effective_from: 2027-01-01")
    published = load_ruleset(newer.encode(), "v2.yaml", run_examples=False)
    edited = load_ruleset(stricter("3").encode(), "v3.yaml", run_examples=False)
    [dated] = [c.words for c in diff(published, edited) if c.subject == "effective date"]
    assert dated.startswith("dated 2012-02-01, before 2027-01-01: the date it is published with")


def test_an_expectation_written_another_way_is_no_change() -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    reworded = text.replace(
        "failures: [service_documents, no_recent_major_failure, trained_staff]",
        "failures: [trained_staff, service_documents, no_recent_major_failure]",
    ).replace('final_score: "94.96"}', "final_score: 94.960}")
    assert reworded != text
    old = load_ruleset(text.encode(), "old.yaml")
    new = load_ruleset(reworded.encode(), "new.yaml")
    assert diff(old, new) == []


def test_lifecycle_numbers_whose_bare_change_would_mislead_say_what_they_mean() -> None:
    old = load_ruleset(SHIPPED.read_bytes(), "old.yaml")
    text = (
        SHIPPED.read_text(encoding="utf-8")
        .replace("restoration_after_expiry_months: 6", "restoration_after_expiry_months: 0")
        .replace("validity_months: 36", "validity_months: 24")
    )
    new = load_ruleset(text.encode(), "new.yaml", run_examples=False)
    said = {(c.part, c.subject): c.words for c in diff(old, new)}
    assert said[("lifecycle", "restoration_after_expiry_months")] == (
        "6 -> 0 months (no restoration after expiry)"
    )
    assert said[("lifecycle", "validity_months")] == (
        "36 -> 24 months (shorter; for certificates decided from then on, issued ones keep "
        "their expiry)"
    )
    assert [c.words for c in diff(new, old) if c.subject.startswith("restoration")] == [
        "0 -> 6 months (restoration after expiry allowed)"
    ]

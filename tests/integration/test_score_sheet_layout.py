"""One score sheet layout: `rules sheet-template` prints it, `audit record` and `rules explain`
read it as filled in, and a sheet that leaves indicators out is told all of them at once."""

from __future__ import annotations

import re

from tests.integration.conftest import FACTS, Starcert
from tests.office_day import office_day
from tests.score_sheets import FULL_MARKS

BLANK = re.compile(r"^  (\w+):( +#.*)$", re.MULTILINE)


def _filled(template: str, points: dict[str, object]) -> str:
    """The template with the points written after each indicator, its comment kept."""
    return BLANK.sub(lambda m: f"  {m[1]}: {points[m[1]]}{m[2]}", template)


def _in_stage2(starcert: Starcert) -> str:
    starcert("org", "add", "--name", "Acme", "--credit-code", "91350100M000100Y43", "--by", "a")
    facts = starcert.write("facts.json", FACTS)
    cid = str(
        starcert(
            "apply", "--org", "1", "--submitted", office_day(-60), "--since", office_day(-200),
            "--scope", "appliances", "--facts", str(facts), "--by", "a", "--json",
        ).json()["id"]
    )  # fmt: skip
    starcert("review", cid, "--by", "a")
    starcert("audit", "record", cid, "--kind", "stage1", "--date", office_day(-50),
             "--auditor", "bob", "--by", "a")  # fmt: skip
    return cid


def test_the_template_filled_in_is_recorded_and_explained(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    template = starcert("rules", "sheet-template").out
    dimensions = [ln for ln in template.splitlines() if ln.startswith("  # ")]
    assert len(dimensions) == 3  # each followed by its indicators
    assert [m[0] for m in BLANK.findall(template)] == list(FULL_MARKS)
    assert "  repair:                     # Repair: 0 to 7\n" in template
    points = {**FULL_MARKS, "complaint_handling": 10}  # 98 of 100
    sheet = starcert.workdir / "sheet.yaml"
    sheet.write_text(_filled(template, points), encoding="utf-8")

    explained = starcert("rules", "explain", "--sheet", str(sheet), "--as-of", office_day(0))
    assert "normalised 98.00" in explained.out and "band: five_star" in explained.out
    cid = _in_stage2(starcert)
    recorded = starcert(
        "audit", "record", cid, "--kind", "stage2", "--date", office_day(-40),
        "--auditor", "bob", "--sheet", str(sheet), "--by", "a", "--json",
    ).json()  # fmt: skip
    assert recorded["state"] == "decision"
    stage2 = next(ln for ln in starcert("show", cid).out.splitlines() if "record_stage2" in ln)
    assert "score 98.000000 five_star" in stage2


def test_a_sheet_leaving_indicators_out_names_them_all_at_its_line(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    cid = _in_stage2(starcert)
    before = starcert("show", cid, "--json").json()
    template = starcert("rules", "sheet-template").out
    some = {k: v for k, v in FULL_MARKS.items() if k not in ("staffing", "repair", "recycling")}
    filled = BLANK.sub(
        lambda m: f"  {m[1]}: {some[m[1]]}{m[2]}" if m[1] in some else f"  {m[1]}:{m[2]}",
        template,
    )
    sheet = starcert.workdir / "partial.yaml"
    sheet.write_text(filled, encoding="utf-8")
    line = template.splitlines().index("results:") + 1
    said = (
        f"error: {sheet}:{line}: results: 3 indicators missing: staffing, repair, recycling "
        "(score each, or list it under excluded)\n"
    )
    refused = starcert(
        "audit", "record", cid, "--kind", "stage2", "--date", office_day(-40),
        "--auditor", "bob", "--sheet", str(sheet), "--by", "a", check=False,
    )  # fmt: skip
    assert (refused.code, refused.err) == (2, said)
    assert starcert("show", cid, "--json").json() == before
    explained = starcert(
        "rules", "explain", "--sheet", str(sheet), "--as-of", office_day(0), check=False
    )
    assert (explained.code, explained.err.splitlines()[-1] + "\n") == (2, said)


def test_explain_takes_the_facts_file_of_apply(starcert_sqlite: Starcert) -> None:
    starcert = starcert_sqlite
    facts = starcert.write("facts.json", {**FACTS, "has_dedicated_funds": False})
    dates = ("--submitted", "2026-03-01", "--since", "2025-11-30")
    explained = starcert("rules", "explain", "--facts", str(facts), *dates)
    assert explained.out.startswith("INELIGIBLE")
    assert "FAILED prerequisite.dedicated_funds" in explained.out
    assert "as of 2026-03-01" in explained.out
    undated = starcert("rules", "explain", "--facts", str(facts), check=False)
    assert undated.code == 2
    assert undated.err.startswith("error: --submitted and --since: missing: a facts file needs")


def test_the_sheet_template_of_a_version_never_published_is_not_found(
    starcert_sqlite: Starcert,
) -> None:
    missing = starcert_sqlite("rules", "sheet-template", "--version", "7", check=False)
    assert missing.code == 4
    assert missing.err.endswith("\nerror: --version: no version 7 (known: 1)\n")

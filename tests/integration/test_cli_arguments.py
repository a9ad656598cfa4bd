"""Command-line arguments an operator's shell can hand over: refused in one line, exit 2,
nothing written, whatever the command."""

from __future__ import annotations

from collections.abc import Callable

from tests.integration.conftest import FACTS, Completed, Starcert
from workflows.credit_code import check_character

CODE = "91350100M000100Y4" + check_character("91350100M000100Y4")
GBK_NAME = "亚克售后".encode("gbk").decode("utf-8", "surrogateescape")
"""What Python makes of a name typed in a GBK terminal: the bytes, as lone surrogates."""


def _refusal(starcert: Callable[..., Completed], *args: str) -> str:
    done = starcert(*args, check=False)
    assert "Traceback" not in done.err, done.err
    assert (done.code, done.out, len(done.err.splitlines())) == (2, "", 1), done
    return done.err.strip()


def test_an_argument_that_is_not_utf8_is_refused_before_any_command_runs(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    # The installed command, as a process: Python hands the GBK bytes on as lone surrogates.
    said = _refusal(
        starcert.process, "org", "add", "--name", GBK_NAME, "--credit-code", CODE, "--by", "li"
    )
    assert said.startswith("error: --name: '")
    assert said.endswith("' is not UTF-8 text (is the terminal set to UTF-8?)")
    said = _refusal(starcert, "show", "ASC-" + GBK_NAME)
    assert said.startswith("error: argument: 'ASC-")
    # nothing was registered: the same code is free, and the organisation is number 1
    added = starcert(
        "org", "add", "--name", "亚克售后", "--credit-code", CODE, "--by", "li", "--json"
    ).json()
    assert (added["id"], added["name"]) == (1, "亚克售后")


HUGE = "9" * 23  # past SQLite's largest integer


def test_an_id_past_any_row_is_not_found_or_out_of_range_not_an_overflow(
    starcert_sqlite: Starcert,
) -> None:
    starcert = starcert_sqlite
    for args in (("show", HUGE), ("review", HUGE, "--by", "li"), ("cancel", HUGE, "--reason",
                 "x", "--by", "li")):  # fmt: skip
        done = starcert(*args, check=False)
        assert (done.code, done.err) == (4, f"error: case {HUGE} not found\n"), args
    facts = starcert.write("facts.json", {})
    for args in (
        ("apply", "--org", HUGE, "--submitted", "2026-03-01", "--since", "2025-11-30", "--scope",
         "s", "--facts", str(facts), "--by", "li"),
        ("list", "--limit", HUGE),
        ("list", "--offset", HUGE),
        ("incidents", "retry", HUGE),
    ):  # fmt: skip
        done = starcert(*args, check=False)
        assert done.code == 2 and "Traceback" not in done.err, (args, done.err)
        words = " ".join(done.err.replace("│", " ").split())  # typer boxes and wraps it
        assert "less than or equal to 4611686018427387904" in words, args
    assert starcert("list", "--json").json() == []


def test_a_digit_that_is_not_a_number_is_looked_up_as_a_name_not_a_crash(
    starcert_sqlite: Starcert,
) -> None:
    """ "³" and "²" are digits to str.isdigit but no number to int(): they name no case, no
    organisation."""
    for args, missing in (
        (("show", "³"), "error: no case holds certificate ³\n"),
        (("org", "show", "²"), "error: no organisation has the credit code ²\n"),
    ):
        done = starcert_sqlite(*args, check=False)
        assert (done.code, done.err) == (4, missing), args


def test_an_application_the_rules_cannot_decide_on_is_refused_at_apply_not_stuck_later(
    starcert_sqlite: Starcert,
) -> None:
    # Dates before 1900 are outside what the rules engine decides on: such a case used to be
    # stored, then every review of it, and even `show`, failed on the stored fact.
    starcert = starcert_sqlite
    starcert("org", "add", "--name", "Acme", "--credit-code", CODE, "--by", "li")
    facts = dict(FACTS)

    def apply(since: str) -> list[str]:
        return ["apply", "--org", "1", "--submitted", "2026-03-01", "--since", since, "--scope",
                "s", "--facts", str(starcert.write("facts.json", facts)), "--by", "li"]  # fmt: skip

    assert _refusal(starcert, *apply("1850-01-01")) == (
        "error: service_system_since: 1850-01-01 is outside 1900-01-01..2999-12-31"
    )
    facts["last_major_failure"] = "1899-12-31"
    assert _refusal(starcert, *apply("2025-11-30")) == (
        "error: facts.last_major_failure: 1899-12-31 is outside 1900-01-01..2999-12-31"
    )
    assert starcert("list", "--json").json() == []
    facts["last_major_failure"] = "1900-01-01"
    case = starcert(*apply("2025-11-30"), "--json").json()
    assert starcert("review", str(case["id"]), "--by", "li", "--json").json()["state"] == "stage1"

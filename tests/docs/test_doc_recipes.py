"""Every recipe in README.md, rules/README.md and docs/*.md runs as written.

The conventions (which blocks run, where files come from, how a block is marked as not run)
are in tests.docs.doc_recipes and, for authors, in docs/operations.md. A failing recipe names
the doc, the line and the command, with what it said.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.docs.doc_recipes import Block, blocks, commands
from tests.docs.recipe_session import REPO, Session

DOCS = [REPO / "README.md", REPO / "rules" / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def _id(doc: Path) -> str:
    return str(doc.relative_to(REPO))


def _postgresql(doc: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """A fresh PostgreSQL database (tests/conftest.py) for the `<!-- postgresql: VAR -->`
    recipes of the doc; none without a server (those recipes are then left out, and listed),
    except under CI, where the server must be there."""
    names = sorted({b.postgresql for b in blocks(doc, REPO) if b.postgresql and not b.not_run})
    if not names or not (os.environ.get("STARCERT_TEST_PG_URL") or os.environ.get("CI")):
        return {}
    return dict.fromkeys(names, str(request.getfixturevalue("pg_server_url")))


@pytest.mark.parametrize("doc", DOCS, ids=map(_id, DOCS))
def test_every_recipe_of_the_doc_runs(
    doc: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    found = blocks(doc, REPO)
    databases = _postgresql(doc, request)
    session = Session(tmp_path / "clone", databases)
    for block in found:
        if block.file is not None:
            session.write(block.file, block.text)
    for block in found:
        if block.postgresql and block.postgresql not in databases:
            continue  # listed by skipped_recipes
        if block.is_recipe and block.not_run is None:
            for command in commands(block):
                session.run(command)


@pytest.mark.parametrize("doc", DOCS, ids=map(_id, DOCS))
def test_every_block_says_what_it_is(doc: Path) -> None:
    """A block without a language could be a recipe nobody runs: each names its language, and
    a mark of not running says why."""
    unlabelled = [b.where() for b in blocks(doc, REPO) if not b.language]
    assert not unlabelled, (
        f"fenced blocks without a language at {unlabelled}: use sh for commands to run, "
        "text for synopses and output"
    )
    marked_elsewhere = [b.where() for b in blocks(doc, REPO) if b.not_run and not b.is_recipe]
    assert not marked_elsewhere, f"`not run` marks a block that is no recipe: {marked_elsewhere}"


def skipped_recipes() -> list[tuple[Block, str]]:
    """The recipes not run, and why, for the run's summary (tests/conftest.py)."""
    no_server = not os.environ.get("STARCERT_TEST_PG_URL")
    found = []
    for doc in DOCS:
        for b in blocks(doc, REPO):
            if b.is_recipe and b.not_run:
                found.append((b, b.not_run))
            elif b.is_recipe and b.postgresql and no_server:
                found.append((b, "needs PostgreSQL: set STARCERT_TEST_PG_URL to run it"))
    return found

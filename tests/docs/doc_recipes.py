"""The shell recipes of the docs, read as a new user reads them, and run as written.

Conventions (also in docs/operations.md, "The recipes in these docs"):

- Every fenced block names its language. Blocks fenced ```sh, ```bash, ```shell or ```console
  are recipes (in ```console only the lines starting with `$ ` are commands); ```text is for
  synopses and output, which are not run.
- A doc's recipes run in order, in one fresh folder holding what a clone has besides the code
  (`config.toml`, named by STARCERT_CONFIG, and `rules/`), with `starcert` on PATH. Every
  command must exit 0.
- `<!-- file: NAME -->` right before a block (any language): the block is written to NAME in
  that folder before the doc's first command runs (a doc may show a file after the command
  that reads it).
- `<!-- not run: REASON -->` right before a recipe: skipped, and listed with its reason.
- `<!-- postgresql: VAR -->` right before a recipe: it runs with VAR naming a fresh PostgreSQL
  database (from STARCERT_TEST_PG_URL), and is skipped, listed, without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt

SHELLS = frozenset({"sh", "bash", "shell", "console"})
MARKER = re.compile(r"<!--\s*(file|not run|postgresql):\s*(.+?)\s*-->", re.DOTALL)
HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


@dataclass(frozen=True)
class Block:
    """One fenced block: where it starts (1-based line of its first content line), its language,
    its text and the markers before it."""

    doc: str
    line: int
    language: str
    text: str
    file: str | None = None
    not_run: str | None = None
    postgresql: str | None = None

    @property
    def is_recipe(self) -> bool:
        return self.language in SHELLS

    def where(self, offset: int = 0) -> str:
        return f"{self.doc}:{self.line + offset}"


@dataclass(frozen=True)
class Command:
    """One command of a recipe (continued lines and here-documents joined), with its line."""

    block: Block
    offset: int
    text: str

    @property
    def where(self) -> str:
        return self.block.where(self.offset)


def blocks(doc: Path, root: Path) -> list[Block]:
    """Every fenced block of `doc`, with the markers written right before it; named in messages
    by the doc's path from `root`."""
    tokens = MarkdownIt().parse(doc.read_text(encoding="utf-8"))
    found: list[Block] = []
    for i, token in enumerate(tokens):
        if token.type != "fence" or token.map is None:
            continue
        markers: dict[str, str] = {}
        j = i - 1
        while j >= 0 and tokens[j].type == "html_block":
            for kind, value in MARKER.findall(tokens[j].content):
                markers.setdefault(kind, " ".join(value.split()))
            j -= 1
        found.append(
            Block(
                doc=str(doc.relative_to(root)),
                line=token.map[0] + 2,
                language=token.info.strip().split(" ")[0],
                text=token.content,
                file=markers.get("file"),
                not_run=markers.get("not run"),
                postgresql=markers.get("postgresql"),
            )
        )
    return found


def commands(block: Block) -> Iterator[Command]:
    """The commands of a recipe: blank and comment lines dropped, `\\` continuations and
    here-documents kept with the line that starts them."""
    lines = block.text.splitlines()
    if block.language == "console":
        lines = [line[2:] if line.startswith("$ ") else "" for line in lines]
    i = 0
    while i < len(lines):
        start, text = i, lines[i]
        i += 1
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        while text.endswith("\\") and i < len(lines):
            text = text[:-1] + " " + lines[i].strip()
            i += 1
        for _quote, word in HEREDOC.findall(text):
            while i < len(lines):
                text += "\n" + lines[i]
                i += 1
                if lines[i - 1].strip() == word:
                    break
        yield Command(block, start, text)

"""How the doc harness reads and runs a doc, on a doc written for the purpose: the conventions
other authors rely on when they add recipes (tests.docs.doc_recipes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docs.doc_recipes import blocks, commands
from tests.docs.recipe_session import RecipeFailed, Session

DOC = """# A doc

<!-- file: notes/facts.yaml -->
```yaml
answer: 42
```

```sh
mkdir -p out   # a comment with (parentheses)
cat > out/greeting.txt <<'END'
hello $NAME
END
export WHO=auditor
starcert \\
  db upgrade
```

<!-- not run: waits for ever -->
```sh
sleep infinity
```

```console
$ echo "$WHO" > out/who.txt
not a command: output
$ starcert db current > out/revision.txt
```

```text
starcert rules check [PATH]
```
"""


def test_blocks_commands_and_markers_are_read_as_the_conventions_say(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC, encoding="utf-8")
    found = blocks(doc, tmp_path)
    assert [(b.language, b.file, b.not_run) for b in found] == [
        ("yaml", "notes/facts.yaml", None),
        ("sh", None, None),
        ("sh", None, "waits for ever"),
        ("console", None, None),
        ("text", None, None),
    ]
    recipe = [(c.where, c.text) for c in commands(found[1])]
    assert recipe == [
        ("doc.md:9", "mkdir -p out   # a comment with (parentheses)"),
        ("doc.md:10", "cat > out/greeting.txt <<'END'\nhello $NAME\nEND"),
        ("doc.md:13", "export WHO=auditor"),
        ("doc.md:14", "starcert  db upgrade"),
    ]
    assert [c.text for c in commands(found[3])] == [
        'echo "$WHO" > out/who.txt',
        "starcert db current > out/revision.txt",
    ]


def test_a_session_runs_them_in_order_and_names_the_line_that_fails(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(DOC + "\n```sh\nstarcert db upgrade\nstarcert rules show 9\n```\n")
    found = blocks(doc, tmp_path)
    session = Session(tmp_path / "clone")
    for block in found:
        if block.file:
            session.write(block.file, block.text)
    for block in [found[1], found[3]]:
        for command in commands(block):
            session.run(command)
    clone = tmp_path / "clone"
    assert (clone / "notes" / "facts.yaml").read_text() == "answer: 42\n"
    assert (clone / "out" / "greeting.txt").read_text() == "hello $NAME\n"
    assert (clone / "out" / "who.txt").read_text() == "auditor\n"  # exported a command before
    revision = (clone / "out" / "revision.txt").read_text()  # in this process, to the file
    assert revision.strip() and "empty" not in revision
    upgrade, show = commands(found[-1])
    session.run(upgrade)
    line = doc.read_text().splitlines().index("starcert rules show 9") + 1
    with pytest.raises(RecipeFailed) as failed:
        session.run(show)
    assert str(failed.value).startswith(
        f"doc.md:{line}: `starcert rules show 9` exited 4:\nerror: no published version '9'"
    )

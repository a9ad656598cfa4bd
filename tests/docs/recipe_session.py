"""One doc's recipes run in order in one folder, as a user's shell would run them.

A plain `starcert ...` line (literal words, at most `VAR=value` before it and `> FILE` after it)
runs in this process (tests.cli_in_process: the console script's own `main`, a fraction of a
process's start-up); any other line, or one with shell expansions, pipes or lists, goes to bash
as written, where `starcert` is a script running this checkout. Exported variables and `cd`
carry over from one command to the next, as in one terminal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.cli_in_process import run_starcert
from tests.docs.doc_recipes import Command

REPO = Path(__file__).resolve().parents[2]
SHELL_ONLY = set("$`*?[]{}()~\\")
"""A line with any of these needs bash's expansions: it is not run in this process."""


class RecipeFailed(AssertionError):
    pass


@dataclass(frozen=True)
class Plain:
    """A `starcert` line this process can run itself."""

    env: dict[str, str]
    args: list[str]
    out: str | None
    append: bool


def plain(text: str) -> Plain | None:
    """The line as words, when it is a plain `starcert` line (comments dropped): else None."""
    if "\n" in text:
        return None
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return None
    if any(SHELL_ONLY & set(w) for w in words):
        return None
    env: dict[str, str] = {}
    while words and "=" in words[0] and words[0].split("=")[0].isidentifier():
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if not words or words[0] != "starcert":
        return None
    out, append = None, False
    if len(words) >= 3 and words[-2] in (">", ">>"):
        out, append = words[-1], words[-2] == ">>"
        words = words[:-2]
    if any(w and set(w) <= set("|&;<>") for w in words):
        return None
    return Plain(env, words[1:], out, append)


class Session:
    """A fresh folder with config.toml and rules/ as a clone has them, and a shell's state."""

    def __init__(self, folder: Path, extra_env: dict[str, str] | None = None) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        shutil.copy(REPO / "config.toml", folder / "config.toml")
        shutil.copytree(REPO / "rules", folder / "rules")
        tools = folder.parent / f"{folder.name}-bin"
        tools.mkdir()
        script = tools / "starcert"
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m starcert.cli "$@"\n')
        script.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
        env["PATH"] = f"{tools}{os.pathsep}{env.get('PATH', '')}"
        env["PYTHONPATH"] = str(REPO)
        env["STARCERT_CONFIG"] = str(folder / "config.toml")
        self.env = {**env, **(extra_env or {})}
        self.cwd = folder

    def write(self, name: str, text: str) -> None:
        path = self.cwd / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def run(self, command: Command) -> None:
        found = plain(command.text)
        if found is None:
            self._bash(command)
        else:
            self._in_process(command, found)

    def _in_process(self, command: Command, line: Plain) -> None:
        env = {k: v for k, v in {**self.env, **line.env}.items() if k.startswith("STARCERT_")}
        ran = run_starcert(line.args, cwd=self.cwd, env=env)
        if ran.code != 0:
            raise self._failed(command, ran.code, ran.out + ran.err)
        if line.out is not None:
            with (self.cwd / line.out).open("a" if line.append else "w", encoding="utf-8") as f:
                f.write(ran.out)

    def _bash(self, command: Command) -> None:
        state = self.folder.parent / f"{self.folder.name}-state"
        script = (
            "set -eo pipefail\n"
            f"{command.text}\n"
            f"env -0 > {shlex.quote(str(state))}.env\n"
            f"pwd > {shlex.quote(str(state))}.pwd\n"
        )
        proc = subprocess.run(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise self._failed(command, proc.returncode, proc.stdout + proc.stderr)
        pairs = Path(f"{state}.env").read_text().split("\0")
        self.env = dict(p.split("=", 1) for p in pairs if "=" in p)
        self.cwd = Path(Path(f"{state}.pwd").read_text().strip())

    @staticmethod
    def _failed(command: Command, code: int, said: str) -> RecipeFailed:
        return RecipeFailed(
            f"{command.where}: `{command.text}` exited {code}:\n{said.strip()[-3000:]}"
        )

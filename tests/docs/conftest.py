"""The recipes the docs mark as not run, listed at the end of a run that ran the doc tests."""

from __future__ import annotations

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from tests.docs.test_doc_recipes import skipped_recipes

    terminalreporter.section("doc recipes not run")
    for block, why in skipped_recipes():
        terminalreporter.line(f"{block.where()}: {why}")

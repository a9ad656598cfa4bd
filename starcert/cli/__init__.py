"""The operator CLI, one module per command group; the top-level app is in starcert.cli.root.

`main` is the `starcert` console script (pyproject.toml); `python -m starcert.cli` runs it too.
"""

from __future__ import annotations


def main() -> None:
    """Run `starcert` with the process's arguments (imported here on call, so that running one
    group's module with `python -m` does not import it twice)."""
    from starcert.cli.root import main as run_cli

    run_cli()

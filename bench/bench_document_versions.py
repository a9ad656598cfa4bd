"""What a public verification spends on a certificate's document versions, with and without the
versions kept by chain head (starcert.documents.versions_memo).

Builds a register with `starcert simulate` (three years of certificates with operators: each a
trail of a dozen events or so), then asks the document versions of every certificate in turn,
as `/verify` does for each lookup: once with the App's memo warm (what a running server does for
a certificate asked before), and once reading and hashing the trail every time (a fresh memo per
lookup: the baseline, and what a first lookup costs). CPU time, best of RUNS, alternated.

    .venv/bin/python bench/bench_document_versions.py [--population 200] [--lookups 2000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from starcert.api.public_documents import versions_of  # noqa: E402
from starcert.app import App  # noqa: E402
from starcert.config import load_config  # noqa: E402
from starcert.documents.versions_memo import VersionsMemo  # noqa: E402


def build(work: Path, population: int) -> Path:
    url = f"sqlite:///{work / 'register.db'}"
    subprocess.run(
        [sys.executable, "-m", "starcert.cli", "simulate", "--from", "2023-01-10", "--to",
         "2026-11-01", "--population", str(population), "--database", url],
        check=True, capture_output=True, cwd=work,
    )  # fmt: skip
    config = work / "config.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{work / "data"}"\nrules_dir = "{REPO / "rules"}"\n'
        f'[database]\nurl = "{url}"\n',
        encoding="utf-8",
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--population", type=int, default=200)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = App(load_config(build(Path(tmp), args.population)))
        with app.uow() as uow:
            cases = [c for c in uow.cases.list() if c.number]
            events = [len(uow.events.for_case(c.id)) for c in cases if c.id is not None]
        numbers = [c.number for c in cases if c.number]
        print(f"{len(numbers)} certificates, {min(events)}-{max(events)} events each")

        def lookups(fresh: bool) -> float:
            started = time.process_time()
            for i in range(args.lookups):
                if fresh:
                    app.__dict__["document_versions"] = VersionsMemo()
                versions_of(app, numbers[i % len(numbers)])
            return (time.process_time() - started) / args.lookups * 1e6

        lookups(False)  # the memo filled, as a server's after its first lookups
        kept, read = [], []
        for _ in range(args.runs):
            read.append(lookups(True))
            kept.append(lookups(False))
        print(f"trail read and hashed per lookup : {min(read):7.0f} µs CPU (best of {args.runs})")
        print(f"versions kept by chain head      : {min(kept):7.0f} µs CPU")
        print(f"ratio kept / read                : {min(kept) / min(read):7.2f}")
        app.close()


if __name__ == "__main__":
    main()

"""How long an operator waits for `starcert` to answer: --help, show, rules history and check.

Every figure is the best of N fresh processes, beside two baselines timed in the same run and in
turn with them: `python -c pass` (the interpreter alone) and `python -c "import typer"` (the CLI
library alone). Each command runs once untimed first, so Python's bytecode cache is in place as
after an install (the cache is switched on for these processes even if the caller turned it off).

The database is a temporary SQLite one built with the CLI itself: case 1 a certificate (made by
`starcert simulate --population 1`), case 2 an application under review; rule versions published.
Showing case 2 asks the rules whether the application may be accepted, so it loads them.

Run: .venv/bin/python bench/bench_cli_startup.py [--runs 7] [--against DIR]
(--against: another copy of starcert, e.g. `git archive main | tar -x -C DIR`, timed in the same
run and in turn with this one, on a database of its own built the same way.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = {
    "has_service_documents": True,
    "has_dedicated_manager": True,
    "has_dedicated_funds": True,
    "has_trained_staff": True,
    "is_prc_legal_entity": True,
    "last_major_failure": None,
}


def environment(source: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(source)
    return env


class Cli:
    """`python -m starcert.cli --config CONFIG ...` from one source tree, run in the config's
    folder (`-m` puts the working directory first on the path: it must hold no starcert)."""

    def __init__(self, python: str, source: Path, config: Path) -> None:
        self.python, self.config, self.env = python, config, environment(source)
        self.cwd = config.parent

    def argv(self, *args: str) -> list[str]:
        return [self.python, "-m", "starcert.cli", "--config", str(self.config), *args]

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            self.argv(*args),
            env=self.env,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"starcert {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout


def build_database(cli: Cli, work: Path, rules: Path) -> None:
    """Case 1 certified, case 2 applied: the CLI's own commands, as an operator would."""
    today = date.today()
    simulated = work / "simulated.db"
    cli(
        "simulate",
        "--from",
        today.isoformat(),
        "--to",
        (today + timedelta(days=1)).isoformat(),
        "--population",
        "1",
        "--no-operators",
        "--database",
        f"sqlite:///{simulated}",
    )
    write_config(cli.config, work, rules, f"sqlite:///{simulated}")
    facts = work / "facts.json"
    facts.write_text(json.dumps(FACTS), encoding="utf-8")
    org = json.loads(cli("show", "1", "--json"))["case"]["organisation_id"]
    cli(
        "apply",
        "--org",
        str(org),
        "--submitted",
        (today - timedelta(days=5)).isoformat(),
        "--since",
        (today - timedelta(days=400)).isoformat(),
        "--scope",
        "after-sales service of household appliances",
        "--facts",
        str(facts),
        "--by",
        "bench",
    )


def write_config(path: Path, work: Path, rules: Path, url: str = "") -> None:
    lines = ["[paths]", f'data_dir = "{work / "data"}"', f'rules_dir = "{rules}"']
    if url:
        lines += ["[database]", f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


Row = tuple[list[str], dict[str, str], Path]  # argv, environment, working directory


def timed(row: Row) -> tuple[float, float]:
    """Wall-clock seconds, and the CPU seconds the process used (user + system): on a loaded
    machine the second is the steadier measure of the work done."""
    argv, env, cwd = row
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def commands(cli: Cli, label: str) -> dict[str, Row]:
    return {
        f"{label}--help": (cli.argv("--help"), cli.env, cli.cwd),
        f"{label}show 1 (certificate)": (cli.argv("show", "1"), cli.env, cli.cwd),
        f"{label}show 2 (application)": (cli.argv("show", "2"), cli.env, cli.cwd),
        f"{label}rules history": (cli.argv("rules", "history"), cli.env, cli.cwd),
        f"{label}rules check": (cli.argv("rules", "check"), cli.env, cli.cwd),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (best of)")
    parser.add_argument("--against", type=Path, help="another starcert source tree to time too")
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    sources = [ROOT, *([args.against.resolve()] if args.against else [])]
    with tempfile.TemporaryDirectory(prefix="starcert-cli-bench-") as tmp:
        env, here = environment(ROOT), Path(tmp)
        rows: dict[str, Row] = {
            "python -c pass": ([args.python, "-c", "pass"], env, here),
            "python -c 'import typer'": ([args.python, "-c", "import typer"], env, here),
        }
        for n, source in enumerate(sources):
            work = Path(tmp) / str(n)
            work.mkdir()
            config = work / "config.toml"
            write_config(config, work, source / "rules")
            cli = Cli(args.python, source, config)
            build_database(cli, work, source / "rules")
            rows |= commands(cli, "starcert " if n == 0 else "against  ")
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for row in rows.values():
            timed(row)  # bytecode cache written, files in the page cache
        for _ in range(args.runs):
            for name, row in rows.items():  # in turn: load on the machine hits all alike
                times[name].append(timed(row))
    wall = {name: [w for w, _ in values] for name, values in times.items()}
    cpu = {name: [c for _, c in values] for name, values in times.items()}
    bare, typer_only = min(wall["python -c pass"]), min(wall["python -c 'import typer'"])
    bare_cpu = min(cpu["python -c pass"])
    print(f"starcert: {ROOT}" + (f"; against: {sources[1]}" if len(sources) > 1 else ""))
    print(f"{args.runs} runs each; seconds: wall best and median, CPU (user+system) best")
    print(
        f"{'command':<32} {'best':>7} {'median':>7} {'x python':>9} {'x typer':>8} "
        f"{'cpu':>7} {'cpu x py':>9}"
    )
    for name in times:
        best, best_cpu = min(wall[name]), min(cpu[name])
        print(
            f"{name:<32} {best:7.3f} {statistics.median(wall[name]):7.3f} "
            f"{best / bare:9.1f} {best / typer_only:8.2f} {best_cpu:7.3f} "
            f"{best_cpu / bare_cpu:9.1f}"
        )


if __name__ == "__main__":
    main()

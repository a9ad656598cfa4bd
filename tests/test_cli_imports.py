"""What a `starcert` command loads, checked in fresh processes (what is imported is process state).

`starcert --help` answers without the database libraries, the rules engine or the web server;
commands that only read (show of a certificate, list, export, rules history and show, db current)
never load the rules engine, so no rule version is parsed or compiled for them. A case whose
allowed triggers do ask the rules still gets its answer from them.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer.main
from cli_in_process import run_starcert
from typer.core import TyperGroup

from starcert.app import App
from starcert.cli import collector, root
from starcert.cli.command_kit import STATE, open_app
from starcert.config import load_config
from starcert.simulate import GOOD_FACTS, Simulation, SimulationReport
from storage.database import upgrade
from workflows import commands as c
from workflows.fake_clock import FakeClock

ROOT = Path(__file__).resolve().parents[1]
NOT_FOR_HELP = ("sqlalchemy", "sqlmodel", "durable", "fastapi", "uvicorn")
RULES_ENGINE = ("engine", "durable")

# Runs the console script's `main` in this process, then says which top-level packages it had
# imported and which of the CLI's command modules.
RUN_AND_REPORT = """
import json, sys
from starcert.cli import main
sys.argv = ["starcert", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
loaded = sorted({m.split(".")[0] for m in sys.modules})
commands = sorted(m for m in sys.modules if m.startswith("starcert.cli."))
print(json.dumps({"code": code, "loaded": loaded, "commands": commands}), file=sys.stderr)
"""


def loaded_by(*args: str) -> tuple[int, set[str], str]:
    """The exit code, the top-level packages imported, and stdout of `starcert ARGS`."""
    code, loaded, _, out = modules_of(*args)
    return code, loaded, out


def modules_of(*args: str) -> tuple[int, set[str], set[str], str]:
    """As `loaded_by`, with the starcert.cli modules imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", RUN_AND_REPORT, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"]), set(report["commands"]), done.stdout


def test_importing_the_cli_loads_no_database_rules_engine_or_web_server() -> None:
    code = "import starcert.cli.root, sys; print(' '.join(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    loaded = {name.split(".")[0] for name in out.split()}
    assert not loaded & set(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


def test_help_lists_every_command_without_them() -> None:
    code, loaded, out = loaded_by("--help")
    assert code == 0
    assert "show" in out and "rules" in out and "simulate" in out
    assert not loaded & set(NOT_FOR_HELP), sorted(loaded & set(NOT_FOR_HELP))


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database: case 1 a certificate, case 2 an application; a config for it."""
    folder = tmp_path_factory.mktemp("office")
    config_file = folder / "config.toml"
    config_file.write_text(
        f'[paths]\ndata_dir = "{folder / "data"}"\nrules_dir = "{ROOT / "rules"}"\n',
        encoding="utf-8",
    )
    config = load_config(config_file, env={})
    config.paths.data_dir.mkdir(parents=True)
    upgrade(config.database_url)
    clock = FakeClock(datetime.now(UTC))
    application = App(config, clock=clock)
    try:
        now = clock.now()
        Simulation(application, clock).populate(1, SimulationReport(now, now))
        today = Simulation(application, clock).today()
        org = application.case_service.handle(
            c.RegisterOrganisation("Acme Appliances", "91350100M000100Y43", "alice")
        ).organisation_id
        assert org is not None
        application.case_service.handle(
            c.SubmitApplication(
                org, today, today - timedelta(days=400), "after-sales", GOOD_FACTS, "alice"
            )
        )
    finally:
        application.close()
    return config_file


@pytest.mark.parametrize(
    "args",
    [
        ("show", "1"),
        ("show", "1", "--json"),
        ("list",),
        ("export",),
        ("rules", "history"),
        ("rules", "show", "1"),
        ("db", "current"),
    ],
)
def test_reading_commands_load_no_rules(office: Path, args: tuple[str, ...]) -> None:
    code, loaded, out = loaded_by("--config", str(office), *args)
    assert code == 0
    assert out
    assert not loaded & set(RULES_ENGINE), f"{args} loaded {sorted(loaded & set(RULES_ENGINE))}"


def test_show_of_an_application_asks_the_rules_whether_it_may_be_accepted(office: Path) -> None:
    code, loaded, out = loaded_by("--config", str(office), "show", "2", "--json")
    assert code == 0
    allowed = {t["trigger"] for t in json.loads(out)["allowed_triggers"]}
    assert "accept_application" in allowed  # the eligibility guard's answer, from the rules
    assert "engine" in loaded


def test_every_command_is_found_in_its_own_module() -> None:
    """`starcert NAME` builds an app from NAME's module alone: the table says where each is."""
    every = typer.main.get_command(root.app)
    assert isinstance(every, TyperGroup)
    assert set(every.commands) == set(root.GROUPS) | set(root.COMMANDS)
    for name in every.commands:
        alone = typer.main.get_command(root.app_for(name))
        assert isinstance(alone, TyperGroup)
        assert name in alone.commands, name


def test_a_command_imports_no_other_command_module(office: Path) -> None:
    code, _, commands, out = modules_of("--config", str(office), "show", "1")
    assert code == 0 and "case 1" in out
    homes = {
        f"starcert.cli.{m.split(':')[0]}" for m in [*root.GROUPS.values(), *root.COMMANDS.values()]
    }
    assert commands & homes == {"starcert.cli.case_commands"}


def test_the_collector_runs_once_the_app_is_open_and_after_the_command(office: Path) -> None:
    """Start-up runs without the cycle collector; a command that opens the app (and may run
    for hours: serve, simulate) collects as usual from then on, and so does this process."""
    collector.pause()
    try:
        assert not gc.isenabled()
        STATE["config_path"] = office
        with open_app():
            assert gc.isenabled()
    finally:
        STATE.clear()
        collector.resume()
    ran = run_starcert(["--config", str(office), "rules", "history"], cwd=office.parent)
    assert ran.code == 0, ran.err
    assert gc.isenabled()

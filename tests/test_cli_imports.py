"""What a `starcert` command loads, checked in fresh processes (what is imported is process state).

`starcert --help` answers without the database libraries, the rules engine or the web server;
commands that only read (show of a certificate, list, export, rules history and show, db current)
never load the rules engine, so no rule version is parsed or compiled for them. A case whose
allowed triggers do ask the rules still gets its answer from them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from starcert.app import App
from starcert.config import load_config
from starcert.simulate import GOOD_FACTS, Simulation, SimulationReport
from storage.database import upgrade
from workflows import commands as c
from workflows.fake_clock import FakeClock

ROOT = Path(__file__).resolve().parents[1]
NOT_FOR_HELP = ("sqlalchemy", "sqlmodel", "durable", "fastapi", "uvicorn")
RULES_ENGINE = ("engine", "durable")

# Runs the CLI in this process, then says which top-level packages it had imported.
RUN_AND_REPORT = """
import json, sys
from starcert.cli.root import app
try:
    app(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}),
      file=sys.stderr)
"""


def loaded_by(*args: str) -> tuple[int, set[str], str]:
    """The exit code, the top-level packages imported, and stdout of `starcert ARGS`."""
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
    return report["code"], set(report["loaded"]), done.stdout


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

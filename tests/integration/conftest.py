"""Integration fixtures: the `starcert` command against a real database, run in this process
(tests.cli_in_process) or, where the process is the point, as a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.cli_in_process import run_starcert
from tests.score_sheets import FULL_MARKS

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Completed:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Starcert:
    """Runs `starcert` with a config of its own, as an operator would: in this process, or as
    a process of its own (`process`, `popen`) where that is what a test is about."""

    config: Path
    workdir: Path
    env: dict[str, str]
    """The environment of its processes: this one's, less every STARCERT_* variable."""

    def __call__(self, *args: str, check: bool = True) -> Completed:
        ran = run_starcert(["--config", str(self.config), *args], cwd=self.workdir)
        return self._checked(args, Completed(ran.code, ran.out, ran.err), check)

    def process(self, *args: str, check: bool = True) -> Completed:
        """The installed `starcert` console script, as a process of its own."""
        script = Path(sys.executable).with_name("starcert")
        assert script.exists(), f"no {script}: install starcert (pip install -e .)"
        proc = subprocess.run(
            [str(script), "--config", str(self.config), *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.workdir,
            timeout=120,
        )
        return self._checked(args, Completed(proc.returncode, proc.stdout, proc.stderr), check)

    @staticmethod
    def _checked(args: tuple[str, ...], done: Completed, check: bool) -> Completed:
        if check and done.code != 0:
            raise AssertionError(f"starcert {' '.join(args)} exited {done.code}: {done.err}")
        return done

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "starcert.cli", "--config", str(self.config), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=self.workdir,
        )

    def write(self, name: str, data: Any) -> Path:
        path = self.workdir / name
        path.write_text(json.dumps(data), encoding="utf-8")
        return path


def sheet(total_loss: float = 0, **overrides: Any) -> dict[str, Any]:
    """A full score sheet: full marks, less `total_loss` points taken from complaint handling."""
    results: dict[str, Any] = dict(FULL_MARKS)
    results["complaint_handling"] = FULL_MARKS["complaint_handling"] - total_loss
    results.update(overrides)
    return {"results": results}


FACTS = {
    "has_service_documents": True,
    "has_dedicated_manager": True,
    "has_dedicated_funds": True,
    "has_trained_staff": True,
    "is_prc_legal_entity": True,
    "last_major_failure": None,
}


def make_runner(tmp_path: Path, url: str | None, *, migrate: bool = True) -> Starcert:
    data = tmp_path / "data"
    lines = ["[paths]", f'data_dir = "{data}"', f'rules_dir = "{REPO / "rules"}"']
    if url:
        lines += ["[database]", f'url = "{url}"']
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("STARCERT_")}
    env["PYTHONPATH"] = str(REPO)
    runner = Starcert(config=config, workdir=tmp_path, env=env)
    if migrate:
        runner("db", "upgrade")
    return runner


@pytest.fixture
def starcert_sqlite(tmp_path: Path) -> Starcert:
    return make_runner(tmp_path, None)


@pytest.fixture
def starcert_pg(tmp_path: Path, pg_server_url: str) -> Iterator[Starcert]:
    engine = create_engine(pg_server_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield make_runner(tmp_path, pg_server_url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def starcert(request: pytest.FixtureRequest) -> Starcert:
    name = "starcert_sqlite" if request.param == "sqlite" else "starcert_pg"
    runner: Starcert = request.getfixturevalue(name)
    return runner


CertifiedCase = Callable[..., str]

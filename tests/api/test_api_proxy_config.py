"""The proxy and session settings as written in config.toml and docs/operations.md, and a
proxy entry that is not an address refused by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from starcert.config import ApiConfig, ConsoleConfig, load_config
from tests.api.conftest import REPO
from workflows.errors import InvalidInput


def _section(text: str, name: str) -> str:
    return text.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]


def test_the_commented_defaults_in_config_toml_are_the_codes(tmp_path: Path) -> None:
    shipped = (REPO / "config.toml").read_text(encoding="utf-8")
    for name, defaults in (("api", ApiConfig()), ("console", ConsoleConfig())):
        keys = re.findall(r"^# (\w+ = [^#\n]*?)\s*(?:#.*)?$", _section(shipped, name), re.M)
        assert keys, name
        written = tmp_path / f"{name}.toml"
        written.write_text(f"[{name}]\n" + "\n".join(keys) + "\n", encoding="utf-8")
        loaded = getattr(load_config(written, env={}), name)
        assert loaded == defaults


def test_the_reverse_proxy_example_in_the_operations_guide_loads(tmp_path: Path) -> None:
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    section = guide.split("## Behind a reverse proxy", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```toml\n(.*?)```", section, re.S)
    written = tmp_path / "config.toml"
    written.write_text(example, encoding="utf-8")
    assert load_config(written, env={}).api.trusted_proxies == ("127.0.0.1",)


def test_a_proxy_that_is_not_an_address_is_refused_by_name(tmp_path: Path) -> None:
    written = tmp_path / "config.toml"
    written.write_text('[api]\ntrusted_proxies = ["10.0.0.0/8", "proxy.local"]\n', "utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_config(written, env={})
    assert "api.trusted_proxies" in str(refused.value)
    assert "'proxy.local' is not an IP address or network" in str(refused.value)
    written.write_text('[api]\ntrusted_proxies = ["10.0.0.7/8", " ::1 "]\n', "utf-8")
    assert load_config(written, env={}).api.trusted_proxies == ("10.0.0.0/8", "::1")

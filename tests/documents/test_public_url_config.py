"""[body] public_url: the address each document's QR code opens, checked at start by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from starcert.config import load_config
from workflows.errors import InvalidInput


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[body]\nname = "福建示例认证有限公司"\npublic_url = "{url}"\n', "utf-8")
    return path


def test_the_address_is_kept_without_its_trailing_slash(tmp_path: Path) -> None:
    body = load_config(_config(tmp_path, "https://cert.example.cn/cb/"), env={}).body
    assert body is not None and body.public_url == "https://cert.example.cn/cb"


@pytest.mark.parametrize(
    "url", ["cert.example.cn", "ftp://cert.example.cn", "https://cert.example.cn/?a=1", "https://"]
)
def test_an_address_the_public_cannot_open_is_refused_naming_the_key(
    tmp_path: Path, url: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        load_config(_config(tmp_path, url), env={})
    assert "body.public_url" in str(refused.value) and "http:// or https://" in str(refused.value)

"""[body] in config.toml: the certification body the public pages name, checked at start with
errors naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from starcert.config import load_config
from tests.api.test_api_public_query import PNG
from workflows.errors import InvalidInput

GOOD = """[body]
name = "闽星认证有限公司"
name_en = "Minxing Certification Co., Ltd."
cnca_approval = "CNCA-R-2016-275"
contact = "0591-87654321"
logo_file = "logo.png"
"""


def _load(tmp_path: Path, text: str) -> object:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return load_config(config, env={})


def test_the_body_is_read_typed_with_its_logo_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    config = load_config(_write(tmp_path, GOOD), env={})
    assert config.body is not None and config.body.name == "闽星认证有限公司"
    assert config.body.logo_file == tmp_path / "logo.png" and config.body.logo_type == "image/png"
    assert load_config(_write(tmp_path, "[api]\nport = 8427\n"), env={}).body is None


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "key", "says"),
    [
        (('name = "闽星认证有限公司"', ""), "body.name", "Field required"),
        (("闽星认证有限公司", "  "), "body.name", "it is blank"),
        (("CNCA-R-2016-275", "CNCA-2016"), "body.cnca_approval", "not a CNCA approval number"),
        (('contact = "0591-87654321"', 'phone = "1"'), "body.phone", "Extra inputs"),
        (("logo.png", "missing.png"), "body.logo_file", "cannot be read"),
        (("logo.png", "logo.svg"), "body.logo_file", "must be a .png, .jpg or .webp"),
        (("logo.png", "fake.png"), "body.logo_file", "is not a PNG file"),
    ],
)
def test_a_bad_body_is_refused_naming_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, says: str
) -> None:
    (tmp_path / "logo.png").write_bytes(PNG)
    (tmp_path / "logo.svg").write_text("<svg onload='alert(1)'/>", encoding="utf-8")
    (tmp_path / "fake.png").write_text("<html>", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        _load(tmp_path, GOOD.replace(*change))
    assert refused.value.field.endswith(f"config.toml: {key}")
    assert says in refused.value.message

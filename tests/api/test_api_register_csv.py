"""The register the API downloads is the file `starcert export --out` writes, byte for byte."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tests.api.conftest import Api, cli_on

BOM = b"\xef\xbb\xbf"


def test_the_csv_download_is_the_exported_file_with_its_byte_order_mark(
    api: Api, tmp_path: Path
) -> None:
    case = api.certified(holder="=厦门家电售后服务有限公司")

    answer = api.as_("viewer").get("/api/register", params={"format": "csv"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.content.startswith(BOM + b"certificate_number,")  # Excel reads it as UTF-8

    out = tmp_path / "register.csv"
    cli_on(api, tmp_path)("export", "--out", str(out))
    assert answer.content == out.read_bytes()
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    [mine] = [r for r in rows if r["certificate_number"] == case["number"]]
    assert mine["certified_entity_name"] == "'=厦门家电售后服务有限公司"

"""Score sheets and facts files as operators write them: every refusal names file:line and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from starcert.inputs import parse_sheet, read_document
from workflows.errors import InvalidInput


def _refusal(path: Path) -> str:
    with pytest.raises(InvalidInput) as refused:
        read_document(path)
    return str(refused.value)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            '{"results": {\n  "repair": {"points": 5},\n  "delivery": {"points": 4},\n'
            '  "repair": {"points": 7}\n}}\n',
            "4: duplicate key 'repair'",
        ),
        (
            '{"results": {\n  "repair": {"points": 5},\n  "delivery": {"points": 4,\n'
            '    "points": 6}\n}}\n',
            "4: duplicate key 'points'",
        ),
    ],
    ids=["indicator", "inside-an-indicator"],
)
def test_a_key_given_twice_in_a_json_sheet_is_refused_with_its_line(
    tmp_path: Path, text: str, where: str
) -> None:
    sheet = tmp_path / "sheet.json"
    sheet.write_text(text, encoding="utf-8")
    assert _refusal(sheet) == f"{sheet}:{where}: each field may be given once"


def test_a_key_given_twice_in_a_yaml_sheet_is_one_line_with_its_line(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text("results:\n  repair: 5\n  delivery: 4\n  repair: 7\n", encoding="utf-8")
    assert _refusal(sheet) == f"{sheet}:4: duplicate key 'repair'"


def test_a_sheet_that_is_not_utf8_is_named_not_a_traceback(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.json"
    sheet.write_bytes('{"results": {"repair": "五"}}'.encode("gb18030"))
    assert _refusal(sheet).startswith(f"{sheet}: not UTF-8 text")


def test_the_same_sheet_with_each_key_once_reads_as_written(tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.json"
    sheet.write_text('{"results": {"repair": {"points": 5}, "delivery": 4}}', encoding="utf-8")
    read = parse_sheet(read_document(sheet), str(sheet))
    assert {k: str(v.points) for k, v in read.results.items()} == {"repair": "5", "delivery": "4"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("sheet.yaml", "results: " + "[" * 700 + "]" * 700),  # past the reader's recursion
        ("sheet.json", '{"results": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ],
)
def test_a_file_nested_thousands_deep_is_one_line_not_a_traceback(
    tmp_path: Path, name: str, text: str
) -> None:
    sheet = tmp_path / name
    sheet.write_text(text, encoding="utf-8")
    assert _refusal(sheet) == f"{sheet}: malformed: lists or mappings nested too deeply to read"

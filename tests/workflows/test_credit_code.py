from __future__ import annotations

import pytest

from workflows.credit_code import ALPHABET, check_character, validate_credit_code
from workflows.errors import InvalidInput

# Published codes (business licences): Tencent Computer Systems (Shenzhen), Huawei Technologies.
PUBLISHED = ["9144030071526726XG", "914403001922038216"]


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code


def test_input_is_normalised_to_upper_case_without_spaces() -> None:
    assert validate_credit_code("  9144030071526726xg ") == "9144030071526726XG"


def test_check_character_is_computed_from_the_weights() -> None:
    # 9144030071526726X: sum of weights × values mod 31 leaves G (value 16) as check character.
    assert check_character("9144030071526726X") == "G"
    assert check_character("00000000000000000") == "0"


def test_a_wrong_check_character_names_the_right_one() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_credit_code("9144030071526726XH")
    assert raised.value.field == "credit_code"
    assert "check character should be G" in str(raised.value)


def test_every_single_character_typo_is_caught() -> None:
    code = PUBLISHED[1]
    for position in range(17):
        for replacement in ALPHABET:
            if replacement == code[position]:
                continue
            typo = code[:position] + replacement + code[position + 1 :]
            with pytest.raises(InvalidInput):
                validate_credit_code(typo)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91440300715267", "must be 18 characters, got 14"),
        ("9144030071526726XGG", "must be 18 characters, got 19"),
        ("", "must be 18 characters, got 0"),
        ("9144030071526726IG", "bad character 'I' at position 17"),
        ("O144030071526726XG", "bad character 'O' at position 1"),
        ("91440300715267-6XG", "bad character '-' at position 15"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as raised:
        validate_credit_code(code)
    assert raised.value.field == "credit_code"

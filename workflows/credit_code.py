"""The unified social credit code (GB 32100-2015) every applicant organisation is registered under.

The 18th character is a check character over the first 17, so a mistyped code is caught at the
counter instead of surfacing later on a certificate.
"""

from __future__ import annotations

from workflows.errors import InvalidInput
from workflows.why import why

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The check character GB 32100 assigns to 17 valid characters."""
    total = sum(w * _VALUE[ch] for w, ch in zip(WEIGHTS, first17, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(text: str) -> str:
    """Return the code upper-cased and stripped, or raise InvalidInput naming what is wrong."""
    code = text.strip().upper()
    if len(code) != LENGTH:
        raise InvalidInput(
            "credit_code",
            why("must be {length} characters, got {got} ({text!r})", length=LENGTH,
                got=len(code), text=text),
        )  # fmt: skip
    for position, ch in enumerate(code, start=1):
        if ch not in _VALUE:
            raise InvalidInput(
                "credit_code",
                why("bad character {ch!r} at position {position} (allowed: digits and "
                    "{letters})", ch=ch, position=position, letters=ALPHABET[10:]),
            )  # fmt: skip
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidInput(
            "credit_code",
            why("check character should be {expected}, not {got} ({code})", expected=expected,
                got=code[17], code=code),
        )  # fmt: skip
    return code

"""Validation of the unified social credit code (统一社会信用代码, GB 32100-2015)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: The code's 31 characters (no I, O, S, V, Z), each worth its position.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_CODE_LENGTH = 18

INVALID_LENGTH = _("A unified social credit code has 18 characters.")
INVALID_CHARACTER = _(
    "A unified social credit code uses digits and the letters A–Y except I, O, S, V."
)
INVALID_CHECK_DIGIT = _("The check character of this unified social credit code is wrong.")


def credit_code_check_character(first_17: str) -> str:
    """The 18th character that the first 17 call for."""
    total = sum(
        CREDIT_CODE_ALPHABET.index(char) * weight
        for char, weight in zip(first_17, CREDIT_CODE_WEIGHTS, strict=True)
    )
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    code = (value or "").strip().upper()
    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(INVALID_LENGTH, code="credit_code_length")
    if any(char not in CREDIT_CODE_ALPHABET for char in code):
        raise ValidationError(INVALID_CHARACTER, code="credit_code_character")
    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(INVALID_CHECK_DIGIT, code="credit_code_check")

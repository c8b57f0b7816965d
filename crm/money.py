"""Money as users read it: thousands separators, two decimals, the currency.

Every amount in the CRM is in renminbi (CNY). Pages, notifications and
exports show it the same way in both UI languages, only the currency sign
differs:

* zh-hans: ``¥200,000.00`` (the yuan sign, as on Chinese invoices);
* English: ``CNY 200,000.00`` (the ISO code: ``¥`` alone also reads as yen).

A negative amount puts the minus first (``-¥1,234.50``); amounts are rounded
half up to the fen. Spreadsheet cells stay numbers, with a number format
that shows the same thing (:func:`money_number_format`).

Forms never use this: a price typed into an input stays a plain number.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language

CURRENCY = "CNY"
CENT = Decimal("0.01")
#: What an empty amount shows.
NO_AMOUNT = "—"


def _is_chinese(language: str | None) -> bool:
    return (language or get_language() or "").lower().startswith("zh")


def currency_prefix(language: str | None = None) -> str:
    """``¥`` in Chinese, ``CNY `` (with a space) otherwise."""
    return "¥" if _is_chinese(language) else f"{CURRENCY} "


def to_amount(value) -> Decimal | None:
    """``value`` (Decimal, int, float, or a numeric string as stored in
    JSON) as a Decimal rounded half up to the fen; None if it is no number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite():
        return None
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value, language: str | None = None) -> str:
    """``¥200,000.00`` / ``CNY 200,000.00`` in the active (or given) language;
    ``—`` for nothing; a value that is no number comes back as text."""
    amount = to_amount(value)
    if amount is None:
        return NO_AMOUNT if value is None or value == "" else str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{currency_prefix(language)}{abs(amount):,.2f}"


def money_number_format(language: str | None = None) -> str:
    """The spreadsheet number format for an amount cell, e.g.
    ``"¥"#,##0.00;-"¥"#,##0.00``: the cell stays a number Excel can sum."""
    prefix = f'"{currency_prefix(language)}"'
    return f"{prefix}#,##0.00;-{prefix}#,##0.00"

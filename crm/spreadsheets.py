"""What every spreadsheet export shares (IMP-2): no cell runs as a formula,
and amounts stay numbers with a currency number format."""

from __future__ import annotations

from decimal import Decimal

from openpyxl.cell import WriteOnlyCell

from crm import money

#: What a spreadsheet (Excel, WPS, LibreOffice) may run as a formula when a
#: cell starts with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that cannot run as a formula: text starting like one gets a
    leading apostrophe; numbers, dates and other text are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def money_number_format(language: str | None = None) -> str:
    """The number format of an amount cell in the active language
    (``"¥"#,##0.00`` / ``"CNY "#,##0.00``, see :mod:`crm.money`): the cell
    keeps the number, so the sheet can sum it, and shows it as the pages do."""
    return money.money_number_format(language)


def money_cell(sheet, value):
    """An openpyxl write-only cell holding the amount ``value`` as a number
    with the money number format (text and empty values are left as cells
    of their own)."""
    cell = WriteOnlyCell(sheet, value=neutralise(value))
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        cell.number_format = money_number_format()
    return cell

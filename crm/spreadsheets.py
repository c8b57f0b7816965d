"""What every spreadsheet export shares (IMP-2)."""

from __future__ import annotations

#: What a spreadsheet (Excel, WPS, LibreOffice) may run as a formula when a
#: cell starts with it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A cell that cannot run as a formula: text starting like one gets a
    leading apostrophe; numbers, dates and other text are left as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value

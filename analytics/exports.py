"""Excel export of a funnel or forecast snapshot (IMP-2), with exactly the
figures the page shows: both are read from the same stored snapshot. Rates
are written as numbers with a percent format, as the page rounds them."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from crm.spreadsheets import money_number_format, neutralise
from projects.models import localised


def funnel_columns() -> list[tuple[str, str]]:
    return [
        ("opening", pgettext("funnel", "Opening")),
        ("inflow", pgettext("funnel", "Inflow")),
        ("outflow", pgettext("funnel", "Outflow")),
        ("closing", pgettext("funnel", "Closing")),
        ("won", pgettext("funnel", "Won")),
        ("lost", pgettext("funnel", "Lost")),
        ("stalled", pgettext("funnel", "Stalled")),
        ("conversion_rate", _("Conversion rate")),
        ("success_rate", _("Success rate")),
    ]


def funnel_table(figures: dict) -> tuple[list[str], list[list]]:
    """Headers and rows of the funnel table, as the page and the sheet show it."""
    columns = funnel_columns()
    headers = [_("Sales process"), _("Stage"), *[label for _key, label in columns]]
    rows = [
        [
            localised(row["process_name"], row["process_name_en"]),
            localised(row["name"], row["name_en"]),
            *[row[key] for key, _label in columns],
        ]
        for row in figures.get("stages", [])
    ]
    return headers, rows


FORECAST_KEYS = ["month", "count", "amount", "weighted", "won_count", "won_amount"]


def forecast_table(figures: dict) -> tuple[list[str], list[list]]:
    headers = [
        _("Month"),
        _("Deals"),
        _("Expected amount"),
        _("Weighted amount"),
        _("Won deals"),
        _("Won amount"),
    ]
    rows = [
        [
            m["month"],
            m["count"],
            Decimal(m["amount"]),
            Decimal(m["weighted"]),
            m["won_count"],
            Decimal(m["won_amount"]),
        ]
        for m in figures.get("months", [])
    ]
    return headers, rows


def snapshot_xlsx(*, title: str, meta: list[tuple[str, str]], headers: list, rows: list) -> bytes:
    """A one-sheet workbook: what the report is (``meta``), then the table."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    bold = Font(bold=True)

    def cells(values, font=None):
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=neutralise(value))
            if font is not None:
                cell.font = font
            if isinstance(value, float):
                cell.number_format = "0.0%"
            elif isinstance(value, Decimal):
                cell.number_format = money_number_format()
            out.append(cell)
        return out

    for label, value in meta:
        sheet.append(cells([label, value]))
    sheet.append([])
    sheet.append(cells(headers, bold))
    for row in rows:
        sheet.append(cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

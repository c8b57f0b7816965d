"""One money format for pages, notifications and exports (issue 10):
thousands separators, two decimals rounded half up, and the currency —
``¥`` in Chinese, ``CNY`` in English."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from crm.money import format_money, money_number_format
from crm.spreadsheets import money_cell

D = Decimal


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("zh-hans", D("200000.00"), "¥200,000.00"),
        ("en", D("200000.00"), "CNY 200,000.00"),
        ("zh-hans", D("-1234.5"), "-¥1,234.50"),
        ("en", D("-1234.5"), "-CNY 1,234.50"),
        ("zh-hans", D("2.675"), "¥2.68"),  # half up, not half even
        ("en", D("0.125"), "CNY 0.13"),
        ("en", D("-0.004"), "CNY 0.00"),  # no "-0.00"
        ("zh-hans", 1234567, "¥1,234,567.00"),
        ("zh-hans", "35000.00", "¥35,000.00"),  # as snapshots store it
        ("zh-hans", None, "—"),
        ("en", "", "—"),
    ],
)
def test_the_money_filter_in_both_languages(language, value, shown):
    with translation.override(language):
        assert render("{% load crm_format %}{{ value|money }}", value=value) == shown
        assert format_money(value) == shown


def test_the_analytics_money_filter_is_the_crm_one():
    with translation.override("zh-hans"):
        assert render("{% load analytics_format %}{{ v|money }}", v=D("170000")) == "¥170,000.00"
        assert render("{% load analytics_format %}{{ v|figure }}", v=D("170000")) == "¥170,000.00"


def test_an_export_cell_stays_a_number_with_a_currency_format():
    from openpyxl import Workbook

    sheet = Workbook(write_only=True).create_sheet("x")
    with translation.override("zh-hans"):
        assert money_number_format() == '"¥"#,##0.00;-"¥"#,##0.00'
        cell = money_cell(sheet, D("200000.00"))
    assert cell.value == D("200000.00") and cell.number_format == money_number_format("zh-hans")
    with translation.override("en"):
        assert money_cell(sheet, D("1")).number_format == '"CNY "#,##0.00;-"CNY "#,##0.00'
    assert money_cell(sheet, "=1+1").value == "'=1+1"

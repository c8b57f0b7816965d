"""Formatting of report figures (no queries, no logic beyond formatting)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

from crm.money import format_money
from crm.templatetags.crm_format import money as crm_money

register = template.Library()


@register.filter
def figure(value):
    """A table cell: counts as they are, rates as percentages, amounts (the
    Decimals) as money, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return f"{floatformat(value * 100, 1)}%"
    if isinstance(value, Decimal):
        return format_money(value)
    return value


#: The one money format of the CRM (``crm.money``), under the name the
#: report templates already use.
register.filter("money", crm_money)

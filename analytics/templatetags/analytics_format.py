"""Formatting of report figures (no queries, no logic beyond formatting)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat

register = template.Library()


@register.filter
def figure(value):
    """A table cell: counts as they are, rates as percentages, amounts with
    two decimals, nothing as a dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return f"{floatformat(value * 100, 1)}%"
    if isinstance(value, Decimal):
        return floatformat(value, "2g")
    return value


@register.filter
def money(value):
    if value in (None, ""):
        return "—"
    return floatformat(Decimal(str(value)), "2g")

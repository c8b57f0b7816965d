"""Formatting filters. Template tags format; they never query."""

from datetime import timedelta

from django import template

from crm.money import format_money

register = template.Library()


@register.filter
def total_minutes(value: timedelta | None) -> int:
    """Whole minutes of a duration (for sentences like "in 30 minutes")."""
    if not value:
        return 0
    return max(1, round(value.total_seconds() / 60))


@register.filter
def money(value) -> str:
    """An amount with the currency and thousands separators in the active
    language: ``{{ quote.total|money }}`` → ``¥200,000.00`` / ``CNY 200,000.00``
    (see :mod:`crm.money`)."""
    return format_money(value)

"""Formatting filters. Template tags format; they never query."""

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def total_minutes(value: timedelta | None) -> int:
    """Whole minutes of a duration (for sentences like "in 30 minutes")."""
    if not value:
        return 0
    return max(1, round(value.total_seconds() / 60))

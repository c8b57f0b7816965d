"""Formatting helpers of the opportunity pages (no queries)."""

from django import template

from projects.deals.selectors import is_rotting

register = template.Library()


@register.filter
def rotting(deal, now) -> bool:
    """Whether a deal (read with its stage) stayed too long in its stage."""
    return is_rotting(deal, now=now)


@register.filter
def item(mapping, key):
    """``mapping[key]`` (empty if missing)."""
    return mapping.get(key, "")

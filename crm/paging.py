"""Page numbers from the query string."""

from __future__ import annotations


def page_number(raw, *, last: int | None = None) -> int:
    """``?page=`` as a page number from 1 (up to ``last``); 1 for anything else."""
    try:
        number = max(int(raw), 1)
    except (TypeError, ValueError):
        return 1
    return number if last is None else min(number, last)

"""Hooks later apps register to act when a deal closes (won, lost, abandoned).

``projects`` never imports an app to its right; an app appends a callable to
``deal_closed_hooks`` from its ``AppConfig.ready``. ``opportunity_move`` (and
so ``opportunity_close``) calls each inside its transaction, after the deal is
saved, as ``hook(opportunity=, stage=, by=, data=)``; ``data`` is the dict the
caller passed (e.g. ``{"winning_competitor": pk}``), ``{}`` otherwise. A hook
that raises rolls the closing back.
"""

from __future__ import annotations

from collections.abc import Callable

deal_closed_hooks: list[Callable[..., None]] = []

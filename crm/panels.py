"""Registries through which later apps contribute to earlier apps' pages.

An app never imports one to its right (see the architecture). Where a page
of an earlier app shows what a later app owns, the later app registers a
panel here (or in a registry the earlier app defines) from its
``AppConfig.ready``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class Panel:
    """A card on a page: a template and a function building its context.

    ``context`` receives the request (and the page's object, if any) and must
    read through scoped selectors only.
    """

    key: str
    template_name: str
    context: Callable[..., dict]
    order: int = 100


class PanelRegistry:
    def __init__(self) -> None:
        self._panels: dict[str, Panel] = {}

    def register(self, panel: Panel) -> Panel:
        self._panels[panel.key] = panel
        return panel

    def __iter__(self):
        return iter(sorted(self._panels.values(), key=lambda p: (p.order, p.key)))

    def render_list(self, request: HttpRequest, *args) -> list[dict]:
        """Context of every panel, in order, ready for ``{% include %}``."""
        return [
            {
                "key": panel.key,
                "template_name": panel.template_name,
                **panel.context(request, *args),
            }
            for panel in self
        ]


#: Cards of the start page ("Today"); each app adds its own.
today_panels = PanelRegistry()


@dataclass(frozen=True)
class HeaderFrame:
    """A counter in the page header next to the notification bell, loaded
    as a Turbo frame from ``url_name`` (so pages do not pay for it)."""

    key: str
    url_name: str
    order: int = 100


class HeaderFrameRegistry:
    def __init__(self) -> None:
        self._frames: dict[str, HeaderFrame] = {}

    def register(self, frame: HeaderFrame) -> HeaderFrame:
        self._frames[frame.key] = frame
        return frame

    def __iter__(self):
        return iter(sorted(self._frames.values(), key=lambda f: (f.order, f.key)))


#: Header counters of later apps (the knowledge app's unread announcements).
header_frames = HeaderFrameRegistry()

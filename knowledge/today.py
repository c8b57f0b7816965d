"""What knowledge adds to the kernel's pages: the start page's card of unread
announcements and the header counter next to the bell (ORG-5)."""

from crm.panels import HeaderFrame, Panel, header_frames, today_panels
from knowledge.selectors import today_announcements_panel


def register() -> None:
    today_panels.register(
        Panel(
            key="announcements",
            template_name="knowledge/panels/today_announcements.html",
            context=today_announcements_panel,
            order=5,
        )
    )
    header_frames.register(
        HeaderFrame(key="announcements", url_name="knowledge:announcements:badge", order=10)
    )

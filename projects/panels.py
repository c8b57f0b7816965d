"""Cards that opportunities add to other apps' pages: the start page
("Today", ANA-4 first version) and the customer's 360° page. Registered
from ``ProjectsConfig.ready``."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext

from crm.panels import Panel, today_panels
from customers.panels import customer_panels
from projects import selectors


def customer_deals_panel(request, customer) -> dict:
    """The customer page's card loads the deals into a Turbo frame, so the
    customer page itself reads nothing for it (its query count stays the
    customer's own); the frame's page reads them within the user's scope."""
    return {
        "title": gettext("Opportunities"),
        "frame_url": reverse("projects:opportunity:customer_deals", kwargs={"pk": customer.pk}),
    }


def register() -> None:
    today_panels.register(
        Panel(
            key="todos",
            template_name="projects/panels/today_todos.html",
            context=selectors.today_todos_panel,
            order=10,
        )
    )
    today_panels.register(
        Panel(
            key="rotting_deals",
            template_name="projects/panels/today_rotting.html",
            context=selectors.today_rotting_panel,
            order=30,
        )
    )
    today_panels.register(
        Panel(
            key="closing_deals",
            template_name="projects/panels/today_closing.html",
            context=selectors.today_closing_panel,
            order=40,
        )
    )
    customer_panels.register(
        Panel(
            key="opportunities",
            template_name="projects/panels/customer_deals.html",
            context=customer_deals_panel,
            order=10,
        )
    )

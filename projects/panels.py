"""Cards that opportunities add to other apps' pages: the start page
("Today", ANA-4 first version) and the customer's 360° page. Registered
from ``ProjectsConfig.ready``.

Both load their content in a Turbo frame from a scoped page of this app, so
the host page's query count stays its own however many apps add cards.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext

from crm.panels import Panel, today_panels
from customers.panels import customer_panels


def customer_deals_panel(request, customer) -> dict:
    """The customer page's card loads the deals into a Turbo frame, so the
    customer page itself reads nothing for it (its query count stays the
    customer's own); the frame's page reads them within the user's scope."""
    return {
        "title": gettext("Opportunities"),
        "frame_url": reverse("projects:opportunity:customer_deals", kwargs={"pk": customer.pk}),
    }


def today_deals_panel(request) -> dict:
    """The start page's deal cards come in a Turbo frame (see
    ``projects.views_today``); the start page itself reads nothing for them."""
    return {"frame_url": reverse("projects:today")}


def register() -> None:
    today_panels.register(
        Panel(
            key="deals_today",
            template_name="projects/panels/today_deals.html",
            context=today_deals_panel,
            order=10,
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

"""The deal page's panel registry, and the cards deals add to other pages.

Panels that later apps add to the deal page (OPP-5).

``projects`` never imports an app to its right. Competitors, expenses,
attachments, service requests … register a :class:`crm.panels.Panel` here
from their ``AppConfig.ready``; its ``context(request, deal)`` must read
through that app's scoped selectors (``visible_to(request.user)``), or better
return only a Turbo frame URL so that the deal page itself reads nothing::

    from crm.panels import Panel
    from projects.deals.panels import deal_panels

    deal_panels.register(
        Panel(
            key="competition",
            template_name="competitors/panels/deal_competition.html",
            context=deal_competition_panel,  # (request, deal) -> dict
            order=40,
        )
    )

The template receives the dict as ``panel`` (with ``panel.key``) and the
deal as ``deal``; it should render one ``crm-card`` section. Panels appear
below the deal's documents, in ``order``, and in the summary's jump links.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext

from crm.panels import Panel, PanelRegistry, today_panels
from customers.panels import customer_panels

#: Sections of the deal page contributed by later apps, in ``order``.
deal_panels = PanelRegistry()


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
    ``projects.deals.views_today``); the start page itself reads nothing for them."""
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

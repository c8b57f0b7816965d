"""The deal page's competition card (CMP-2) and the customer page's
competitive orders (CMP-3), registered from
``CompetitorsConfig.ready``. It loads the competition in a Turbo frame from
``competitors:deal``, a scoped page of this app, so the deal page itself
reads nothing for it."""

from __future__ import annotations

from django.urls import reverse

from crm.panels import Panel
from customers.panels import customer_panels
from projects.deals.panels import deal_panels


def deal_competition_panel(request, deal) -> dict:
    return {
        "frame_url": reverse("competitors:deal", kwargs={"pk": deal.pk}),
        "shown": request.user.has_perm("competitors.view_dealcompetitor"),
    }


def customer_orders_panel(request, customer) -> dict:
    """The customer page's competitive orders, in a Turbo frame of this app."""
    return {
        "frame_url": reverse("competitors:customer_orders", kwargs={"pk": customer.pk}),
        "shown": request.user.has_perm("competitors.view_competitiveorder"),
    }


def register() -> None:
    customer_panels.register(
        Panel(
            key="competitive_orders",
            template_name="competitors/panels/customer_orders.html",
            context=customer_orders_panel,
            order=50,
        )
    )
    deal_panels.register(
        Panel(
            key="competition",
            template_name="competitors/panels/deal_competition.html",
            context=deal_competition_panel,
            order=40,
        )
    )

"""The quotes card on the customer's 360° page.

The card loads the customer's quotes into a Turbo frame, so the customer page
itself reads nothing for it; the frame's page reads them within the user's
scope. ``register()`` is meant to be called from ``ProjectsConfig.ready``.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext

from crm.panels import Panel
from customers.panels import customer_panels


def customer_quotes_panel(request, customer) -> dict:
    return {
        "title": gettext("Quotes"),
        "frame_url": reverse("quotes:quote:customer_quotes", kwargs={"pk": customer.pk}),
    }


def register() -> None:
    customer_panels.register(
        Panel(
            key="quotes",
            template_name="projects/panels/customer_quotes.html",
            context=customer_quotes_panel,
            order=20,
        )
    )

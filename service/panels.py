"""Cards the service app adds to other apps' pages: the start page (service
staff's requests and queue, owners' care to-dos), the customer's 360° page
and the deal page (the customer's requests). Registered from ``ServiceConfig.ready``.

Both load their content in a Turbo frame from a scoped page of this app, so
the host page's query count stays its own.
"""

from __future__ import annotations

from django.urls import reverse

from crm.panels import Panel, today_panels
from customers.panels import customer_panels
from projects.deals.panels import deal_panels


def today_service_panel(request) -> dict:
    user = request.user
    shown = user.has_perm("service.change_servicerequest") or user.has_perm("service.view_caretask")
    return {"frame_url": reverse("service:today") if shown else ""}


def customer_service_panel(request, customer) -> dict:
    return {
        "frame_url": reverse("service:request:customer", kwargs={"pk": customer.pk}),
        "shown": request.user.has_perm("service.view_servicerequest"),
    }


def deal_service_panel(request, deal) -> dict:
    """The deal page shows its customer's requests (the same frame as the
    customer page); the deal page itself reads nothing for it."""
    return {
        "frame_url": reverse("service:request:customer", kwargs={"pk": deal.customer_id}),
        "shown": request.user.has_perm("service.view_servicerequest"),
    }


def register() -> None:
    today_panels.register(
        Panel(
            key="service_today",
            template_name="service/panels/today_service.html",
            context=today_service_panel,
            order=5,
        )
    )
    customer_panels.register(
        Panel(
            key="service_requests",
            template_name="service/panels/customer_requests.html",
            context=customer_service_panel,
            order=40,
        )
    )
    deal_panels.register(
        Panel(
            key="service_requests",
            template_name="service/panels/deal_requests.html",
            context=deal_service_panel,
            order=60,
        )
    )

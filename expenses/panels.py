"""Cost of sale (EXP-3) on the deal page and the customer's 360° page: the
sum of the approved expense claims linked to the record, per category, in a
Turbo frame from a scoped page of this app (the host page reads nothing).
Registered from ``ExpensesConfig.ready``."""

from __future__ import annotations

from django.urls import reverse

from crm.panels import Panel
from customers.panels import customer_panels
from projects.deals.panels import deal_panels


def deal_cost_panel(request, deal) -> dict:
    return {
        "frame_id": f"deal-cost-{deal.pk}",
        "frame_url": reverse("expenses:cost:deal", kwargs={"pk": deal.pk}),
        "shown": request.user.has_perm("expenses.view_expenseclaim"),
    }


def customer_cost_panel(request, customer) -> dict:
    return {
        "frame_id": f"customer-cost-{customer.pk}",
        "frame_url": reverse("expenses:cost:customer", kwargs={"pk": customer.pk}),
        "shown": request.user.has_perm("expenses.view_expenseclaim"),
    }


def register() -> None:
    deal_panels.register(
        Panel(
            key="cost_of_sale",
            template_name="expenses/panels/cost_of_sale.html",
            context=deal_cost_panel,
            order=60,
        )
    )
    customer_panels.register(
        Panel(
            key="cost_of_sale",
            template_name="expenses/panels/cost_of_sale.html",
            context=customer_cost_panel,
            order=60,
        )
    )

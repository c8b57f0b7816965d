"""Reads of customers; every one goes through the user's data scope."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.scope import access_object
from customers.models import Customer


def customer_list(*, user) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user).select_related("owner", "department", "branch")


def access_customer(*, user, pk) -> Customer:
    """The customer ``pk`` if ``user`` may see it, else 404."""
    return access_object(customer_list(user=user), user=user, pk=pk)


def today_customers_panel(request) -> dict:
    """Start-page card: how many customers I see, and the latest I own."""
    visible = Customer.objects.visible_to(request.user)
    return {
        "visible_count": visible.count(),
        "recent": list(
            visible.filter(owner=request.user)
            .only("id", "name", "region", "updated_at")
            .order_by("-updated_at")[:5]
        ),
    }

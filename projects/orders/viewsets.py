"""The "Orders & contracts" area: scoped order and contract pages, the
order flow's and the contract approval flow's steps, the user's order and
contract tasks (WF-2) and the receivables ageing (CON-2)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from projects.orders import views


class SalesOrderViewset(AppMenuMixin, Viewset):
    title = _("Sales orders")
    icon = "shopping_cart"
    app_name = "salesorder"

    @property
    def index_path(self):
        return path("", views.OrderListView.as_view(), name="index")

    urlpatterns = [
        path("add/", views.OrderCreateView.as_view(), name="add"),
        path("<int:pk>/detail/", views.OrderDetailView.as_view(), name="detail"),
        path("<int:pk>/submit/", views.OrderSubmitView.as_view(), name="submit"),
    ]

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_salesorder")

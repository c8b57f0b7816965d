"""The "Orders & contracts" area: scoped order and contract pages, the
order flow's and the contract approval flow's steps, the user's order and
contract tasks (WF-2) and the receivables ageing (CON-2)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from crm.viewsets import CrmApplication
from projects import views_orders as views
from projects.flows import ContractApprovalFlow, SalesOrderFlow
from projects.viewsets_flows import ScopedFlowViewset
from projects.viewsets_quotes import PageViewset


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


class ContractViewset(AppMenuMixin, Viewset):
    title = _("Contracts")
    icon = "description"
    app_name = "contract"

    @property
    def index_path(self):
        return path("", views.ContractListView.as_view(), name="index")

    urlpatterns = [
        path("add/", views.ContractCreateView.as_view(), name="add"),
        path("deal/<int:pk>/", views.DealDocumentsView.as_view(), name="deal"),
        path("customer/<int:pk>/", views.CustomerDocumentsView.as_view(), name="customer"),
        path("<int:pk>/detail/", views.ContractDetailView.as_view(), name="detail"),
        path("<int:pk>/plan/", views.ContractPlanView.as_view(), name="plan"),
        path("<int:pk>/submit/", views.ContractSubmitView.as_view(), name="submit"),
        path("<int:pk>/sign/", views.ContractSignView.as_view(), name="sign"),
        path("<int:pk>/record/", views.ExecutionRecordView.as_view(), name="record"),
        path("<int:pk>/payment/", views.InstalmentPaymentView.as_view(), name="payment"),
    ]

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_contract")


class OrdersApp(CrmApplication):
    title = _("Orders & contracts")
    icon = "shopping_cart"
    app_name = "orders"
    viewsets = [
        PageViewset(
            app_name="tasks",
            title=_("My order tasks"),
            icon="inbox",
            view=views.MyTasksView.as_view(),
        ),
        SalesOrderViewset(),
        ContractViewset(),
        PageViewset(
            app_name="receivables",
            title=_("Receivables ageing"),
            icon="account_balance",
            view=views.ReceivablesView.as_view(),
        ),
        ScopedFlowViewset(SalesOrderFlow, inbox="orders:tasks:index"),
        ScopedFlowViewset(ContractApprovalFlow, inbox="orders:tasks:index"),
    ]

    @property
    def index_path(self):
        return path("", lambda request: redirect("orders:tasks:index"), name="index")

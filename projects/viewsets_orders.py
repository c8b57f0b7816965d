"""The "Orders & contracts" area: scoped order and contract pages, the
order flow's and the contract approval flow's steps, the user's order and
contract tasks (WF-2) and the receivables ageing (CON-2)."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin
from viewflow.workflow.flow import FlowViewset
from viewflow.workflow.flow.views import DetailProcessView, FlowChartView

from crm.viewsets import CrmApplication
from projects import views_orders as views
from projects.flows import ContractApprovalFlow, SalesOrderFlow
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


class _ScopedProcessDetailView(DetailProcessView):
    def dispatch(self, request, *args, **kwargs):
        if not self.flow_class.instance.has_view_permission(request.user, obj=self.get_object()):
            raise Http404("No such process.")
        return super(DetailProcessView, self).dispatch(request, *args, **kwargs)


class _ScopedFlowChartView(FlowChartView):
    def dispatch(self, request, *args, **kwargs):
        process_pk = kwargs.get("process_pk")
        if process_pk is not None:
            process = self.flow_class.process_class._default_manager.filter(
                pk=process_pk, flow_class=self.flow_class
            ).first()
            if process is None or not self.flow_class.instance.has_view_permission(
                request.user, obj=process
            ):
                raise Http404("No such process.")
        return super().dispatch(request, *args, **kwargs)


class _FlowViewset(FlowViewset):
    """A flow's own pages (process detail, chart, task URLs); viewflow's
    all-process dashboards are not mounted: they ignore the scope."""

    process_detail_view_class = _ScopedProcessDetailView
    chart_view_class = _ScopedFlowChartView
    process_list_path = None
    task_list_path = None

    @property
    def index_path(self):
        return path("", lambda request: redirect("orders:tasks:index"), name="index")


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
        _FlowViewset(SalesOrderFlow),
        _FlowViewset(ContractApprovalFlow),
    ]

    @property
    def index_path(self):
        return path("", lambda request: redirect("orders:tasks:index"), name="index")

"""The projects app's three areas of the UI, composed from the topic
sub-packages' viewsets: Opportunities (deals, board, pool), Quotes &
approvals (quotes, products, the approval inbox) and Orders & contracts
(orders, contracts, their tasks, receivables)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from approvals.viewsets import ScopedFlowViewset
from crm.viewsets import CrmApplication, PageViewset
from projects.catalogue.viewsets import ProductViewset
from projects.contracts import views as contract_views
from projects.contracts import views_documents
from projects.contracts.flows import ContractApprovalFlow
from projects.contracts.viewsets import ContractViewset
from projects.deals.views_stages import StageProbabilityView
from projects.deals.views_today import TodayDealsView
from projects.deals.viewsets import BoardViewset, OpportunityViewset, PoolViewset
from projects.orders.flows import SalesOrderFlow
from projects.orders.viewsets import SalesOrderViewset
from projects.quotes import views
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.viewsets import QuoteApprovalViewset, QuoteViewset


class ProjectsApp(CrmApplication):
    title = _("Opportunities")
    icon = "trending_up"
    app_name = "projects"
    viewsets = [OpportunityViewset(), BoardViewset(), PoolViewset()]
    urlpatterns = [
        path("today/", TodayDealsView.as_view(), name="today"),
        path("stage-probability/", StageProbabilityView.as_view(), name="stage_probability"),
    ]


class QuotesApp(CrmApplication):
    title = _("Quotes & approvals")
    icon = "request_quote"
    app_name = "quotes"
    viewsets = [
        PageViewset(
            app_name="inbox", title=_("My approvals"), icon="inbox", view=views.InboxView.as_view()
        ),
        QuoteViewset(),
        ProductViewset(),
        PageViewset(
            app_name="queue",
            title=_("Shared approvals"),
            icon="group_work",
            view=views.QueueView.as_view(),
        ),
        PageViewset(
            app_name="archive",
            title=_("Decided and submitted"),
            icon="archive",
            view=views.ArchiveView.as_view(),
        ),
        QuoteApprovalViewset(QuoteApprovalFlow),
    ]

    @property
    def index_path(self):
        return path("", lambda request: redirect("quotes:inbox:index"), name="index")


class OrdersApp(CrmApplication):
    title = _("Orders & contracts")
    icon = "shopping_cart"
    app_name = "orders"
    viewsets = [
        PageViewset(
            app_name="tasks",
            title=_("My order tasks"),
            icon="inbox",
            view=views_documents.MyTasksView.as_view(),
        ),
        SalesOrderViewset(),
        ContractViewset(),
        PageViewset(
            app_name="receivables",
            title=_("Receivables ageing"),
            icon="account_balance",
            view=contract_views.ReceivablesView.as_view(),
        ),
        ScopedFlowViewset(SalesOrderFlow, inbox="orders:tasks:index"),
        ScopedFlowViewset(ContractApprovalFlow, inbox="orders:tasks:index"),
    ]

    @property
    def index_path(self):
        return path("", lambda request: redirect("orders:tasks:index"), name="index")

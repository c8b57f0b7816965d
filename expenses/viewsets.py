"""The Expenses area of the UI: my claims, the claims in my scope, the
expense approval inbox and the approval flow's own pages."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset

from approvals.viewsets import ScopedFlowViewset
from crm.viewsets import CrmApplication, PageViewset, PermissionPageViewset
from expenses import views
from expenses.flows import ExpenseApprovalFlow


class MyClaimsViewset(PermissionPageViewset):
    permission = "expenses.view_expenseclaim"
    app_name = "mine"
    title = _("My expense claims")
    icon = "receipt_long"
    view = staticmethod(views.MyClaimsView.as_view())


class ClaimViewset(PermissionPageViewset):
    permission = "expenses.view_expenseclaim"
    app_name = "claim"
    title = _("Expense claims")
    icon = "payments"
    view = staticmethod(views.ClaimListView.as_view())
    urlpatterns = [
        path("add/", views.ClaimCreateView.as_view(), name="add"),
        path("<int:pk>/", views.ClaimDetailView.as_view(), name="detail"),
        path("<int:pk>/edit/", views.ClaimEditView.as_view(), name="edit"),
        path("<int:pk>/submit/", views.ClaimSubmitView.as_view(), name="submit"),
    ]


class BudgetViewset(PermissionPageViewset):
    app_name = "budget"
    title = _("Budget execution")
    icon = "account_balance_wallet"
    permission = "expenses.view_budget"
    view = staticmethod(views.BudgetExecutionView.as_view())
    urlpatterns = [
        path("export/", views.BudgetExportView.as_view(), name="export"),
        path("add/", views.BudgetCreateView.as_view(), name="add"),
        path("<int:pk>/", views.BudgetEditView.as_view(), name="edit"),
    ]


class CostViewset(Viewset):
    """The cost-of-sale frames of the deal and customer pages (no menu entry)."""

    app_name = "cost"
    urlpatterns = [
        path("deal/<int:pk>/", views.CostOfSaleView.as_view(kind="deal"), name="deal"),
        path("customer/<int:pk>/", views.CostOfSaleView.as_view(kind="customer"), name="customer"),
    ]

    def has_view_permission(self, user, obj=None):
        return False  # not in the menu; the views check their own permission


class ExpensesApp(CrmApplication):
    title = _("Expenses")
    icon = "payments"
    app_name = "expenses"
    viewsets = [
        MyClaimsViewset(),
        PageViewset(
            app_name="inbox",
            title=_("Expense claims to approve"),
            icon="inbox",
            view=views.InboxView.as_view(),
        ),
        ClaimViewset(),
        BudgetViewset(),
        CostViewset(),
        ScopedFlowViewset(ExpenseApprovalFlow, inbox="expenses:inbox:index"),
    ]

    @property
    def index_path(self):
        return path("", lambda request: redirect("expenses:mine:index"), name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("expenses.view_expenseclaim")

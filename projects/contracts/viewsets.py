"""The "Orders & contracts" area: scoped order and contract pages, the
order flow's and the contract approval flow's steps, the user's order and
contract tasks (WF-2) and the receivables ageing (CON-2)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from projects.contracts import views, views_documents


class ContractViewset(AppMenuMixin, Viewset):
    title = _("Contracts")
    icon = "description"
    app_name = "contract"

    @property
    def index_path(self):
        return path("", views.ContractListView.as_view(), name="index")

    urlpatterns = [
        path("add/", views.ContractCreateView.as_view(), name="add"),
        path("deal/<int:pk>/", views_documents.DealDocumentsView.as_view(), name="deal"),
        path(
            "customer/<int:pk>/",
            views_documents.CustomerDocumentsView.as_view(),
            name="customer",
        ),
        path("<int:pk>/detail/", views.ContractDetailView.as_view(), name="detail"),
        path("<int:pk>/plan/", views.ContractPlanView.as_view(), name="plan"),
        path("<int:pk>/submit/", views.ContractSubmitView.as_view(), name="submit"),
        path("<int:pk>/sign/", views.ContractSignView.as_view(), name="sign"),
        path("<int:pk>/record/", views.ExecutionRecordView.as_view(), name="record"),
        path("<int:pk>/payment/", views.InstalmentPaymentView.as_view(), name="payment"),
    ]

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_contract")

"""The "Quotes & approvals" area: the scoped quote list and pages, the
approval flow's pages and the user's approval inbox, queue and archive (WF-2),
and the notification list (WF-1)."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from approvals.viewsets import ScopedFlowViewset
from projects.quotes import views


class QuoteViewset(AppMenuMixin, Viewset):
    """Quotes in the user's scope (404 outside it)."""

    title = _("Quotes")
    icon = "request_quote"
    app_name = "quote"

    @property
    def index_path(self):
        return path("", views.QuoteListView.as_view(), name="index")

    urlpatterns = [
        path("add/", views.QuoteCreateView.as_view(), name="add"),
        path("<int:pk>/detail/", views.QuoteDetailView.as_view(), name="detail"),
        path("<int:pk>/change/", views.QuoteUpdateView.as_view(), name="change"),
        path("<int:pk>/print/", views.QuotePrintView.as_view(), name="print"),
        path("<int:pk>/submit/", views.QuoteSubmitView.as_view(), name="submit"),
        path("<int:pk>/withdraw/", views.QuoteWithdrawView.as_view(), name="withdraw"),
        path("<int:pk>/revise/", views.QuoteReviseView.as_view(), name="revise"),
        path("<int:pk>/sent/", views.QuoteMarkSentView.as_view(), name="sent"),
        path("customer/<int:pk>/", views.CustomerQuotesView.as_view(), name="customer_quotes"),
    ]

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_quote")


class QuoteApprovalViewset(ScopedFlowViewset):
    icon = "approval"
    inbox = "quotes:inbox:index"

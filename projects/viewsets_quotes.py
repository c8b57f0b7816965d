"""The "Quotes & approvals" area: the scoped quote list and pages, the
approval flow's pages and the user's approval inbox, queue and archive (WF-2),
and the notification list (WF-1)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin
from viewflow.utils import Icon

from crm.viewsets import CrmApplication
from projects import views_products
from projects import views_quotes as views
from projects.flows import QuoteApprovalFlow
from projects.viewsets_flows import ScopedFlowViewset


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


class ProductViewset(AppMenuMixin, Viewset):
    """The product catalogue (QUO-1): the same for everyone who quotes."""

    title = _("Products")
    icon = "inventory_2"
    app_name = "product"

    @property
    def index_path(self):
        return path("", views_products.ProductListView.as_view(), name="index")

    urlpatterns = [
        path("add/", views_products.ProductFormView.as_view(), name="add"),
        path("import/", views_products.ProductImportView.as_view(), name="import"),
        path(
            "import/confirm/",
            views_products.ProductImportConfirmView.as_view(),
            name="import_confirm",
        ),
        path("export/", views_products.ProductExportView.as_view(), name="export"),
        path("<int:pk>/detail/", views_products.ProductDetailView.as_view(), name="detail"),
        path("<int:pk>/change/", views_products.ProductFormView.as_view(), name="change"),
        path("<int:pk>/archive/", views_products.ProductArchiveView.as_view(), name="archive"),
    ]

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_product")


class QuoteApprovalViewset(ScopedFlowViewset):
    icon = "approval"
    inbox = "quotes:inbox:index"


class PageViewset(AppMenuMixin, Viewset):
    """One page of the area with its own menu entry."""

    def __init__(self, *, app_name, title, icon, view, **kwargs):
        super().__init__(**kwargs)
        self.app_name, self.title, self.icon, self._view = app_name, title, Icon(icon), view

    @property
    def index_path(self):
        return path("", self._view, name="index")

    def has_view_permission(self, user, obj=None):
        return user.is_authenticated


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

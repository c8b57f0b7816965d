"""The product catalogue's pages (QUO-1) in the "Quotes & approvals" area."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from projects.catalogue import views as views_products


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

"""The Opportunities area of the UI (viewflow viewsets): the list and the
deal workspace, the pipeline board and the pool."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from crm.viewsets import ScopedModelViewset
from projects.deals import views_board, views_pool
from projects.deals import views_workspace as views_deal
from projects.deals.views_list import (
    CustomerDealsView,
    OpportunityCreateView,
    OpportunityListView,
    OpportunityUpdateView,
)
from projects.models import Opportunity


class OpportunityViewset(ScopedModelViewset):
    model = Opportunity
    icon = "trending_up"
    title = _("Opportunities")
    list_view_class = OpportunityListView
    create_view_class = OpportunityCreateView
    update_view_class = OpportunityUpdateView
    detail_view_class = views_deal.DealWorkspaceView
    delete_path = None
    urlpatterns = [
        *views_deal.urlpatterns,
        path("customer/<int:pk>/", CustomerDealsView.as_view(), name="customer_deals"),
    ]

    def has_delete_permission(self, user, obj=None):
        return False


class BoardViewset(AppMenuMixin, Viewset):
    """The pipeline board (OPP-8)."""

    title = _("Pipeline board")
    icon = "view_kanban"
    app_name = "board"
    urlpatterns = views_board.urlpatterns

    @property
    def index_path(self):
        return path("", views_board.BoardView.as_view(), name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_opportunity")


class PoolViewset(AppMenuMixin, Viewset):
    """The opportunity pool (OPP-2)."""

    title = _("Opportunity pool")
    icon = "inbox"
    app_name = "pool"
    urlpatterns = views_pool.urlpatterns

    @property
    def index_path(self):
        return path("", views_pool.PoolView.as_view(), name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("projects.view_opportunity")

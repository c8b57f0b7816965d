"""The Competitors area of the UI: profiles, competitive orders, analysis;
and the deal page's competition frame."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from competitors import views
from crm.viewsets import CrmApplication, PermissionPageViewset


class ProfilesViewset(PermissionPageViewset):
    app_name = "profiles"
    title = _("Competitors")
    icon = "groups"
    permission = "competitors.view_competitor"
    view = staticmethod(views.CompetitorListView.as_view())


class OrdersViewset(PermissionPageViewset):
    app_name = "orders_menu"
    title = _("Competitive orders")
    icon = "emoji_events"
    permission = "competitors.view_competitiveorder"
    view = staticmethod(views.CompetitiveOrderListView.as_view())


class AnalysisViewset(PermissionPageViewset):
    app_name = "analysis_menu"
    title = _("Competition analysis")
    icon = "insights"
    permission = "competitors.view_dealcompetitor"
    view = staticmethod(views.AnalysisView.as_view())


def _index(request):
    return redirect("competitors:profiles:index")


class CompetitorsApp(CrmApplication):
    title = _("Competitors")
    icon = "groups"
    app_name = "competitors"
    viewsets = [ProfilesViewset(), OrdersViewset(), AnalysisViewset()]
    urlpatterns = [
        path("<int:pk>/", views.CompetitorDetailView.as_view(), name="detail"),
        path("deal/<int:pk>/", views.DealCompetitionView.as_view(), name="deal"),
        path("orders/", views.CompetitiveOrderListView.as_view(), name="orders"),
        path(
            "orders/customer/<int:pk>/",
            views.CustomerOrdersView.as_view(),
            name="customer_orders",
        ),
        path("analysis/", views.AnalysisView.as_view(), name="analysis"),
    ]

    @property
    def index_path(self):
        return path("", _index, name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("competitors.view_competitor")

"""The Analytics area of the UI (viewflow): dashboard, funnel, forecast."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Viewset
from viewflow.urls.sites import AppMenuMixin

from analytics import views
from crm.viewsets import CrmApplication


class DashboardViewset(AppMenuMixin, Viewset):
    title = _("Manager dashboard")
    icon = "dashboard"
    app_name = "dashboard"
    index_path = path("", views.DashboardView.as_view(), name="index")


class FunnelViewset(AppMenuMixin, Viewset):
    title = _("Sales funnel")
    icon = "filter_alt"
    app_name = "funnel"
    index_path = path("", views.FunnelView.as_view(), name="index")


class ForecastViewset(AppMenuMixin, Viewset):
    title = _("Sales forecast")
    icon = "insights"
    app_name = "forecast"
    index_path = path("", views.ForecastView.as_view(), name="index")


class AnalyticsApp(CrmApplication):
    title = _("Analytics")
    icon = "analytics"
    app_name = "analytics"
    viewsets = [DashboardViewset(), FunnelViewset(), ForecastViewset()]
    urlpatterns = views.urlpatterns

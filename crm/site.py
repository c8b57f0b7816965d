"""The viewflow site: one Application per area of the CRM.

Apps contribute their areas by naming their Application classes in
``AppConfig.crm_application`` (a dotted path, or a list of them), so this
module never imports an app to its right.
"""

from __future__ import annotations

from django.apps import apps
from django.urls import path
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from viewflow.urls import Site

from crm.views import TodayView
from crm.viewsets import CrmApplication


class TodayApp(CrmApplication):
    title = _("Today")
    icon = "today"
    app_name = "today"
    menu_template_name = None

    @property
    def index_path(self):
        return path("", TodayView.as_view(), name="index")


class OrganisationApp(CrmApplication):
    """Organisation tasks of managers: handover (工作交接)."""

    title = _("Organisation")
    icon = "account_tree"
    app_name = "organisation"
    menu_template_name = None

    def has_view_permission(self, user, obj=None):
        return user.has_perm("crm.perform_handover")

    @property
    def index_path(self):
        from crm.views_handover import HandoverView

        return path("", HandoverView.as_view(), name="handover")


class CrmSite(Site):
    title = _("CRM")
    primary_color = "#1f5fa8"
    secondary_color = "#e8a33d"


def build_site() -> CrmSite:
    areas = [TodayApp()]
    for config in apps.get_app_configs():
        dotted = getattr(config, "crm_application", None) or ()
        for path_ in [dotted] if isinstance(dotted, str) else dotted:
            areas.append(import_string(path_)())
    areas.append(OrganisationApp())
    return CrmSite(viewsets=areas)


site = build_site()

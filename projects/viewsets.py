"""The Projects area of the UI (viewflow viewsets)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm.viewsets import CrmApplication, ScopedModelViewset
from projects.models import Opportunity


class OpportunityViewset(ScopedModelViewset):
    model = Opportunity
    icon = "trending_up"
    title = _("Opportunities")
    list_columns = (
        "title",
        "customer",
        "stage",
        "expected_amount",
        "expected_close_date",
        "owner_name",
    )
    list_paginate_by = 25
    list_select_related = ("owner", "department", "branch", "customer", "stage")
    delete_path = None

    def has_delete_permission(self, user, obj=None):
        return False


class ProjectsApp(CrmApplication):
    title = _("Opportunities")
    icon = "trending_up"
    app_name = "projects"
    viewsets = [OpportunityViewset()]

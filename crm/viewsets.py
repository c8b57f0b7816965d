"""Viewflow viewsets that read through the data scope.

viewflow's model views fetch objects from ``model._default_manager`` unless
told otherwise; these subclasses route every list, detail, change and delete
through ``visible_to(request.user)`` so a record outside the scope is a 404.
"""

from __future__ import annotations

from django.db import models
from django.urls import path
from viewflow.urls import (
    Application,
    DeleteViewMixin,
    DetailViewMixin,
    ModelViewset,
    Viewset,
)
from viewflow.urls.sites import AppMenuMixin
from viewflow.utils import Icon
from viewflow.views import (
    CreateModelView,
    DeleteModelView,
    DetailModelView,
    ListModelView,
    UpdateModelView,
)

from crm.history import history_rows


class ScopedQuerysetMixin:
    def get_queryset(self):
        return self.viewset.get_queryset(self.request)


class ScopedListView(ScopedQuerysetMixin, ListModelView):
    pass


class ScopedDetailView(ScopedQuerysetMixin, DetailModelView):
    """Detail page with the record's change history (NFR-2)."""

    history_limit = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["history"] = history_rows(self.object, limit=self.history_limit)
        return context


class ScopedUpdateView(ScopedQuerysetMixin, UpdateModelView):
    pass


class ScopedDeleteView(ScopedQuerysetMixin, DeleteModelView):
    pass


class ScopedModelViewset(DetailViewMixin, DeleteViewMixin, ModelViewset):
    """A ModelViewset whose every view sees only the user's scope."""

    list_view_class = ScopedListView
    detail_view_class = ScopedDetailView
    update_view_class = ScopedUpdateView
    delete_view_class = ScopedDeleteView
    create_view_class = CreateModelView
    list_select_related: tuple[str, ...] = ("owner", "department", "branch")
    bulk_delete_path = None  # records are archived or deleted one at a time

    def get_queryset(self, request) -> models.QuerySet:
        return self.model.objects.visible_to(request.user).select_related(*self.list_select_related)


class CrmApplication(Application):
    """An area of the CRM in the viewflow menu, on the CRM's page layout."""

    base_template_name = "crm/base_page.html"

    def has_view_permission(self, user, obj=None):
        # Login is enforced for every page by LoginRequiredMiddleware; what a
        # user may open inside an area is decided by its viewsets.
        return True


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


class PermissionPageViewset(AppMenuMixin, Viewset):
    """A menu entry of an area declared as a class: its page (``view``) is
    shown to users holding ``permission``; subclasses may add ``urlpatterns``."""

    permission = ""
    view = None

    @property
    def index_path(self):
        return path("", self.view, name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm(self.permission)

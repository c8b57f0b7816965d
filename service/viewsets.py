"""The Service area of the UI (viewflow viewsets): my requests, the branch
queue, all requests, care to-dos."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _

from crm.viewsets import CrmApplication, PermissionPageViewset
from service import views
from service.services import Step


class MyRequestsViewset(PermissionPageViewset):
    app_name = "mine"
    title = _("My service requests")
    icon = "assignment_ind"
    permission = "service.change_servicerequest"
    view = staticmethod(views.MyRequestsView.as_view())


class QueueViewset(PermissionPageViewset):
    app_name = "queue"
    title = _("Service queue")
    icon = "inbox"
    permission = "service.change_servicerequest"
    view = staticmethod(views.QueueView.as_view())
    urlpatterns = [path("assign/", views.QueueAssignView.as_view(), name="assign")]


def _step(step: str):
    return path(f"<int:pk>/{step}/", views.RequestStepView.as_view(step=step), name=step)


class RequestViewset(PermissionPageViewset):
    app_name = "request"
    title = _("Service requests")
    icon = "support_agent"
    permission = "service.view_servicerequest"
    view = staticmethod(views.RequestListView.as_view())
    urlpatterns = [
        path("add/", views.RequestCreateView.as_view(), name="add"),
        path("<int:pk>/", views.RequestDetailView.as_view(), name="detail"),
        *[
            _step(step)
            for step in (
                Step.CLAIM,
                Step.ASSIGN,
                Step.START,
                Step.RESOLVE,
                Step.CLOSE,
                Step.REOPEN,
                Step.CANCEL,
            )
        ],
        path("customer/<int:pk>/", views.CustomerRequestsView.as_view(), name="customer"),
    ]


class CareViewset(PermissionPageViewset):
    app_name = "care"
    title = _("Care to-dos")
    icon = "volunteer_activism"
    permission = "service.view_caretask"
    view = staticmethod(views.CareListView.as_view())
    urlpatterns = [
        path("<int:pk>/", views.CareDetailView.as_view(), name="detail"),
        path("<int:pk>/done/", views.CareFinishView.as_view(status="done"), name="done"),
        path("<int:pk>/skip/", views.CareFinishView.as_view(status="skipped"), name="skip"),
    ]


def _index(request):
    """Service staff start at their requests; everyone else at the list."""
    if request.user.has_perm("service.change_servicerequest"):
        return redirect("service:mine:index")
    if request.user.has_perm("service.view_servicerequest"):
        return redirect("service:request:index")
    return redirect("service:care:index")


class ServiceApp(CrmApplication):
    title = _("Service")
    icon = "support_agent"
    app_name = "service"
    viewsets = [MyRequestsViewset(), QueueViewset(), RequestViewset(), CareViewset()]
    urlpatterns = [path("today/", views.TodayServiceView.as_view(), name="today")]

    @property
    def index_path(self):
        return path("", _index, name="index")

    def has_view_permission(self, user, obj=None):
        return user.has_perm("service.view_servicerequest") or user.has_perm(
            "service.view_caretask"
        )

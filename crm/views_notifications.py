"""The user's notifications (WF-1): the list and the header badge."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from crm import notifications


class NotificationListView(TemplateView):
    """The user's notifications, newest first; "mark all as read" empties the badge."""

    template_name = "crm/notifications.html"

    def get_context_data(self, **kwargs):
        rows = list(self.request.user.notifications.order_by("-created_at", "-id")[:100])
        return super().get_context_data(
            page_title=gettext("Notifications"), notifications=rows, **kwargs
        )

    def post(self, request):
        notifications.notifications_mark_read(user=request.user)
        return HttpResponseRedirect(reverse("notifications"))


@require_GET
def notification_badge(request):
    """The bell in the header with the unread count: a Turbo frame loaded by
    every page, so pages themselves do not pay for the count."""
    return render(
        request,
        "crm/includes/notification_badge.html",
        {"unread": notifications.unread_count(request.user)},
    )

"""HQ announcements (ORG-5): the list, reading one (which records the read
receipt), publishing, the receipts per branch, and the header counter."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from knowledge import selectors, services
from knowledge.forms import AnnouncementForm
from knowledge.views_articles import add_errors

PAGE_SIZE = 20
PUBLISHED = _("Announcement “%(title)s” published.")


class AnnouncementListView(View):
    def get(self, request):
        page = Paginator(selectors.announcement_list(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        return render(
            request,
            "knowledge/announcement_list.html",
            {
                "page_title": gettext("Announcements"),
                "page": page,
                "can_add": request.user.has_perm("knowledge.add_announcement"),
            },
        )


class AnnouncementDetailView(View):
    """Opening an announcement is reading it: the receipt is written here."""

    def get(self, request, pk):
        announcement = selectors.access_announcement(user=request.user, pk=pk)
        services.announcement_mark_read(announcement=announcement, user=request.user)
        return render(
            request,
            "knowledge/announcement_detail.html",
            {
                "page_title": announcement.title,
                "announcement": announcement,
                "can_see_receipts": selectors.can_see_receipts(request.user, announcement),
            },
        )


class AnnouncementCreateView(View):
    template_name = "knowledge/announcement_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("knowledge.add_announcement"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def _render(self, request, form):
        return render(
            request,
            self.template_name,
            {"page_title": gettext("New announcement"), "form": form},
        )

    def get(self, request):
        return self._render(request, AnnouncementForm())

    def post(self, request):
        form = AnnouncementForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        try:
            announcement = services.announcement_publish(by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_errors(form, error)
            return self._render(request, form)
        messages.success(request, PUBLISHED % {"title": announcement.title})
        return HttpResponseRedirect(announcement.get_absolute_url())


class AnnouncementReceiptsView(View):
    """Who read it, per addressed branch and by name (author and senders)."""

    def get(self, request, pk):
        announcement = selectors.access_announcement(user=request.user, pk=pk)
        if not selectors.can_see_receipts(request.user, announcement):
            raise PermissionDenied
        readers = Paginator(
            selectors.announcement_readers(announcement=announcement), 100
        ).get_page(request.GET.get("page"))
        return render(
            request,
            "knowledge/announcement_receipts.html",
            {
                "page_title": gettext("Read receipts"),
                "announcement": announcement,
                "branches": selectors.announcement_receipts_by_branch(announcement=announcement),
                "readers": readers,
            },
        )


@never_cache
@require_GET
def announcement_badge(request):
    """The header counter of unread announcements: a Turbo frame of its own,
    like the notification bell, so pages do not pay for it (one query)."""
    return render(
        request,
        "knowledge/includes/announcement_badge.html",
        {"unread": selectors.unread_announcement_count(request.user)},
    )

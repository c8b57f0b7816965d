from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog
from viewflow.contrib.auth import AuthViewset

from crm import views, views_notifications
from crm.search import search_view
from crm.site import site

admin.site.site_header = admin.site.site_title = _("CRM administration")

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("language/", views.set_language, name="set_language"),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("accounts/", AuthViewset(with_profile_view=True).urls),
    path("admin/", admin.site.urls),
    path("search/", search_view, name="search"),
    path("", include("crm.attachments.urls")),
    path(
        "notifications/",
        views_notifications.NotificationListView.as_view(),
        name="notifications",
    ),
    path(
        "notifications/badge/",
        views_notifications.notification_badge,
        name="notification_badge",
    ),
    path("", site.urls),
]

if settings.DEBUG:  # pragma: no cover - development only
    from django.views.static import serve

    # Attachments are never served from MEDIA_ROOT, only through their
    # record's scope (crm.attachments.views.attachment_download).
    urlpatterns.append(
        re_path(
            r"^media/(?!attachments/)(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )

"""Views of the shared kernel: the start page, language switch and health."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from crm.middleware import SESSION_LANGUAGE_KEY
from crm.panels import today_panels
from crm.redirects import safe_next
from crm.services import employee_set_language


class TodayView(TemplateView):
    """The start page ("Today"): every app contributes its cards."""

    template_name = "crm/today.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            today=timezone.localdate(),
            panels=today_panels.render_list(self.request),
            **kwargs,
        )


@login_not_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponseRedirect:
    """Switch the UI language; remembered for the user (and in a cookie)."""
    language = request.POST.get("language", "")
    response = HttpResponseRedirect(safe_next(request, "/"))
    if language not in dict(settings.LANGUAGES):
        return response
    if request.user.is_authenticated:
        employee_set_language(user=request.user, language=language)
        request.session[SESSION_LANGUAGE_KEY] = language
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


def _database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - a health check reports, never raises
        return f"error: {exc.__class__.__name__}"
    return "ok"


def _broker_status() -> str:
    if not settings.REDIS_URL:
        return "eager"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        return f"error: {exc.__class__.__name__}"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and CI: database and broker status."""
    database, broker = _database_status(), _broker_status()
    healthy = database == "ok" and broker in ("ok", "eager")
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "broker": broker},
        status=200 if healthy else 503,
    )

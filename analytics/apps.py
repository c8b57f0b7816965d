from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The analytics app: funnel, forecast, reports and dashboards (reads only)."""

    name = "analytics"
    verbose_name = _("Analytics")
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    """The analytics app: funnel, forecast, reports and dashboards (reads only)."""

    name = "analytics"
    verbose_name = _("Analytics")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "analytics.viewsets.AnalyticsApp"

    def ready(self) -> None:
        from analytics.snapshots import on_stages_changed
        from projects.deals.signals import stages_changed

        stages_changed.connect(on_stages_changed, dispatch_uid="analytics.snapshots_stale")

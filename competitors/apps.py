from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitorsConfig(AppConfig):
    """The competitors app: competitors and competition per deal."""

    name = "competitors"
    verbose_name = _("Competitors")
    default_auto_field = "django.db.models.BigAutoField"

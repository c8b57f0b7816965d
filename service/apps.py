from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """The service app: service requests, care plans and feedback."""

    name = "service"
    verbose_name = _("Service")
    default_auto_field = "django.db.models.BigAutoField"

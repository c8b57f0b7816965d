from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Organisation")
    role_permissions = {
        "sales_manager": ["perform_handover"],
        "branch_manager": ["perform_handover"],
        "admin": ["perform_handover"],
    }
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.roles import grant_role_permissions

        # Baseline model permissions of the roles, declared by each app's
        # AppConfig.role_permissions; run after each app's permissions exist.
        post_migrate.connect(grant_role_permissions, dispatch_uid="crm.grant_role_permissions")

from datetime import timedelta

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

_MANAGE = ["perform_handover", "archive_any_attachment"]


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Organisation")
    role_permissions = {
        "sales_manager": _MANAGE,
        "branch_manager": _MANAGE,
        "admin": _MANAGE,
    }
    default_auto_field = "django.db.models.BigAutoField"
    demo_seeder = "crm.attachments.demo"
    periodic_tasks = {
        "attachments-sync-scope": {
            "task": "crm.attachments_sync_scope",
            "schedule": timedelta(hours=1),
        },
    }

    def ready(self) -> None:
        from crm.attachments import search as attachment_search
        from crm.roles import grant_role_permissions

        # Baseline model permissions of the roles, declared by each app's
        # AppConfig.role_permissions; run after each app's permissions exist.
        post_migrate.connect(grant_role_permissions, dispatch_uid="crm.grant_role_permissions")
        attachment_search.register()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    """Approval rules, decisions and the base approval flow. Sits right of
    ``customers`` (rules may name a customer type) and left of every app
    whose documents are approved (``projects``, ``expenses``, ``service``)."""

    name = "approvals"
    verbose_name = _("Approvals")
    default_auto_field = "django.db.models.BigAutoField"
    role_permissions = {
        "admin": ["add_approvalrule", "change_approvalrule", "view_approvalrule"],
    }

    def ready(self) -> None:
        from approvals import handover

        handover.register()

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Sales people see the requests of their customers, file new ones and work
#: their care to-dos.
_SALES = ["view_servicerequest", "add_servicerequest", "view_caretask", "change_caretask"]
#: Service staff work on requests: claim, start, resolve, close.
_AGENT = [
    "view_servicerequest",
    "add_servicerequest",
    "change_servicerequest",
    "view_caretask",
]
#: Managers also assign (a service manager is an agent given this permission).
_MANAGER = [*_AGENT, "assign_servicerequest", "change_caretask"]


class ServiceConfig(AppConfig):
    """The service app: service requests, care plans and feedback."""

    name = "service"
    verbose_name = _("Service")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "service.viewsets.ServiceApp"
    demo_seeder = "service.demo"
    periodic_tasks = {
        "service-sla-escalation": {
            "task": "service.escalate_sla_breaches",
            "schedule": timedelta(minutes=10),
        },
        "service-care-tasks": {
            "task": "service.generate_care_tasks",
            "schedule": timedelta(days=1),
        },
    }
    role_permissions = {
        "sales_rep": _SALES,
        "sales_manager": _SALES,
        "branch_manager": _MANAGER,
        "service_agent": _AGENT,
        "hq_executive": ["view_servicerequest", "view_caretask"],
        "admin": [
            *_MANAGER,
            "delete_servicerequest",
            "view_slarule",
            "add_slarule",
            "change_slarule",
            "delete_slarule",
            "view_carerule",
            "add_carerule",
            "change_carerule",
            "delete_carerule",
        ],
    }

    def ready(self) -> None:
        from service import panels

        panels.register()

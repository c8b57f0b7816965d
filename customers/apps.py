from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_VIEW = ["view_customer", "view_contact", "view_followup"]
_EDIT = [
    *_VIEW,
    "add_customer",
    "change_customer",
    "add_contact",
    "change_contact",
    "add_followup",
    "change_followup",
]


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "customers.viewsets.CustomersApp"
    demo_seeder = "customers.demo"
    periodic_tasks = {
        "import-files-cleanup": {
            "task": "customers.import_files_cleanup",
            "schedule": timedelta(days=1),
        },
        "import-jobs-unstick": {
            "task": "customers.import_jobs_unstick",
            "schedule": timedelta(minutes=15),
        },
    }
    role_permissions = {
        "sales_rep": _EDIT,
        "sales_manager": _EDIT,
        "branch_manager": _EDIT,
        "business_secretary": _VIEW,
        "finance": _VIEW,
        "service_agent": [*_VIEW, "add_followup"],
        "hq_executive": _VIEW,
        "admin": [*_EDIT, "delete_customer", "delete_contact", "delete_followup"],
    }

    def ready(self) -> None:
        from customers import search_providers, today

        today.register()
        search_providers.register()

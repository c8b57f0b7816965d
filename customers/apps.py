from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_EDIT = ["view_customer", "add_customer", "change_customer"]


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "customers.viewsets.CustomersApp"
    demo_seeder = "customers.demo"
    role_permissions = {
        "sales_rep": _EDIT,
        "sales_manager": _EDIT,
        "branch_manager": _EDIT,
        "business_secretary": ["view_customer"],
        "finance": ["view_customer"],
        "service_agent": ["view_customer"],
        "hq_executive": ["view_customer"],
        "admin": [*_EDIT, "delete_customer"],
    }

    def ready(self) -> None:
        from crm.panels import Panel, today_panels
        from customers.selectors import today_customers_panel

        today_panels.register(
            Panel(
                key="customers",
                template_name="customers/panels/today_customers.html",
                context=today_customers_panel,
                order=50,
            )
        )

from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_VIEW = [
    "view_opportunity",
    "view_product",
    "view_stage",
    "view_process",
    "view_quote",
    "view_salesorder",
    "view_contract",
]
_WORK = [
    *_VIEW,
    "add_opportunity",
    "change_opportunity",
    "add_quote",
    "change_quote",
    "add_salesorder",
    "change_salesorder",
    "add_contract",
    "change_contract",
]
_MANAGE = [*_WORK, "assign_opportunity", "set_line_price"]
_SECRETARY = [*_VIEW, "review_salesorder", "deliver_salesorder"]
_FINANCE = [*_VIEW, "finance_check_salesorder", "collect_salesorder", "record_payment_contract"]


class ProjectsConfig(AppConfig):
    """The projects app: opportunities, quotes, orders and contracts."""

    name = "projects"
    verbose_name = _("Projects")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = [
        "projects.viewsets.ProjectsApp",
        "projects.viewsets.QuotesApp",
        "projects.viewsets.OrdersApp",
    ]
    demo_seeder = "projects.demo"
    periodic_tasks = {
        "dunning": {
            "task": "projects.mark_overdue_instalments",
            "schedule": timedelta(days=1),
        },
    }
    role_permissions = {
        "sales_rep": _WORK,
        "sales_manager": _MANAGE,
        "branch_manager": _MANAGE,
        "business_secretary": _SECRETARY,
        "finance": _FINANCE,
        "service_agent": _VIEW,
        "hq_executive": _VIEW,
        "admin": [
            *_MANAGE,
            "delete_opportunity",
            "add_process",
            "change_process",
            "add_stage",
            "change_stage",
            "add_product",
            "change_product",
            "add_lossreason",
            "change_lossreason",
            "add_question",
            "change_question",
        ],
    }

    def ready(self) -> None:
        # The flows register themselves with the approvals engine on import,
        # which services and selectors look them up through.
        from projects.contracts import flows as contract_flows  # noqa: F401
        from projects.deals import handover, panels, search_providers
        from projects.orders import flows as order_flows  # noqa: F401
        from projects.orders import panels as panels_orders
        from projects.quotes import flows as quote_flows  # noqa: F401
        from projects.quotes import panels as panels_quotes

        panels.register()
        handover.register()
        panels_quotes.register()
        panels_orders.register()
        search_providers.register()

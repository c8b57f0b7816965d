from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Everyone who spends money claims it and sees their own claims.
_CLAIMANT = ["view_expenseclaim", "add_expenseclaim", "change_expenseclaim"]
#: Managers watch their departments' budgets; finance keeps them.
_WATCH = [*_CLAIMANT, "view_budget"]
_FINANCE = [*_WATCH, "add_budget", "change_budget"]


class ExpensesConfig(AppConfig):
    """The expenses app: budgets and expense claims."""

    name = "expenses"
    verbose_name = _("Expenses")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "expenses.viewsets.ExpensesApp"
    demo_seeder = "expenses.demo"
    role_permissions = {
        "sales_rep": _CLAIMANT,
        "sales_manager": _WATCH,
        "branch_manager": _WATCH,
        "business_secretary": _CLAIMANT,
        "service_agent": _CLAIMANT,
        "finance": _FINANCE,
        "hq_executive": _WATCH,
        "admin": [
            *_FINANCE,
            "view_expensesettings",
            "change_expensesettings",
            "view_expensecategory",
            "add_expensecategory",
            "change_expensecategory",
        ],
    }

    def ready(self) -> None:
        from expenses import flows, panels  # noqa: F401 - flows registers the approval flow

        panels.register()

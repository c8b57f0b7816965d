from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: Everyone in sales reads the profiles, records prices and competitive orders
#: and sees the competition on the deals they see (changing it is the deal's
#: own right, ``deal_rights(...).act``).
_SALES = [
    "view_competitor",
    "view_competitorproduct",
    "view_priceobservation",
    "add_priceobservation",
    "view_dealcompetitor",
    "view_competitiveorder",
    "add_competitiveorder",
]
#: Keeping the reference data (profiles, products) is the admin's.
_KEEPERS = [
    *_SALES,
    "add_competitor",
    "change_competitor",
    "add_competitorproduct",
    "change_competitorproduct",
]


class CompetitorsConfig(AppConfig):
    """The competitors app: competitors and competition per deal."""

    name = "competitors"
    verbose_name = _("Competitors")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "competitors.viewsets.CompetitorsApp"
    demo_seeder = "competitors.demo"
    role_permissions = {
        "sales_rep": _SALES,
        "sales_manager": _SALES,
        "branch_manager": _SALES,
        "business_secretary": _SALES,
        "hq_executive": _SALES,
        "admin": [
            *_KEEPERS,
            "delete_competitor",
            "delete_competitorproduct",
            "delete_priceobservation",
        ],
    }

    def ready(self) -> None:
        from competitors import panels, services
        from projects.deals.hooks import deal_closed_hooks

        panels.register()
        if services.deal_closed_record_winner not in deal_closed_hooks:
            deal_closed_hooks.append(services.deal_closed_record_winner)

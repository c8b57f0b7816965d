from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

_READ = [
    "view_article",
    "view_announcement",
    "view_discussiongroup",
    "view_topic",
    "view_post",
    "add_topic",
    "add_post",
]
_LEAD = [*_READ, "add_discussiongroup", "add_article"]
_HQ = [
    *_LEAD,
    "change_article",
    "view_all_articles",
    "add_announcement",
    "view_receipts",
]


class KnowledgeConfig(AppConfig):
    """The knowledge app: articles, discussion groups and announcements."""

    name = "knowledge"
    verbose_name = _("Knowledge base")
    default_auto_field = "django.db.models.BigAutoField"
    crm_application = "knowledge.viewsets.KnowledgeApp"
    demo_seeder = "knowledge.demo"
    role_permissions = {
        "sales_rep": _READ,
        "sales_manager": _LEAD,
        "branch_manager": _LEAD,
        "business_secretary": _READ,
        "finance": _READ,
        "service_agent": [*_READ, "add_article"],
        "hq_executive": _HQ,
        "admin": [*_HQ, "moderate_discussions", "change_discussiongroup"],
    }

    def ready(self) -> None:
        from knowledge import search_providers, today

        today.register()
        search_providers.register()

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from approvals.models import ApprovalRule


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    """Who approves what (QUO-3, ORD-1, CON-1): a rule applies when every
    condition it sets holds; the chain is its approvers in level order."""

    list_display = [
        "name",
        "document_type",
        "level",
        "discount_above",
        "margin_below",
        "amount_above",
        "customer_type",
        "branch",
        "approver_role",
        "approver_user",
        "is_active",
    ]
    list_filter = ["document_type", "is_active", "branch"]
    list_editable = ["is_active"]
    autocomplete_fields = ["approver_user"]
    fieldsets = [
        (None, {"fields": ["name", "document_type", "level", "is_active"]}),
        (
            _("Applies when"),
            {
                "fields": [
                    "discount_above",
                    "margin_below",
                    "amount_above",
                    "customer_type",
                    "branch",
                ]
            },
        ),
        (_("Approved by"), {"fields": ["approver_role", "approver_user"]}),
    ]

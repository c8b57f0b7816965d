"""Approval rules (WF-1): who must approve which document, edited by admins
in Django admin, never in code. Every document that needs approval (quotes,
contracts, expense claims, service requests …) names its type here."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Customer

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class DocumentType(models.TextChoices):
    QUOTE = "quote", _("Quote")
    ORDER = "order", _("Sales order")
    CONTRACT = "contract", _("Contract")
    EXPENSE = "expense", _("Expense claim")


class ApprovalRule(models.Model):
    """Who must approve a document (admin-edited, not code). A rule applies
    when every condition it sets holds; the chain of a document is the
    approvers of the applying rules, in ``level`` order. No rule applying
    means the document is approved automatically."""

    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices, db_index=True
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(
        _("level"), help_text=_("Approval order; lower levels decide first.")
    )
    discount_above = models.DecimalField(
        _("discount above (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
    )
    margin_below = models.DecimalField(
        _("margin below (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Applies when the document's margin over its products' cost is lower."),
    )
    amount_above = models.DecimalField(
        _("amount above"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    customer_type = models.CharField(
        _("customer type"),
        max_length=20,
        blank=True,
        choices=Customer._meta.get_field("type").choices,
    )
    branch = models.ForeignKey(
        "crm.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("branch"),
    )
    approver_role = models.ForeignKey(
        "crm.Role",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approving role"),
    )
    approver_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approving user"),
    )
    is_active = models.BooleanField(pgettext_lazy("enabled", "active"), default=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["document_type", "level", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(approver_role__isnull=False)
                | models.Q(approver_user__isnull=False),
                name="approvalrule_has_approver",
            ),
        ]

    def __str__(self) -> str:
        return self.name

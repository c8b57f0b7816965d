"""Approval rules (WF-1) and quotes with their versions, lines and
approval decisions (QUO-2, QUO-3)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from viewflow.workflow.models import Process as WorkflowProcess

from crm.models import ScopedModel
from customers.models import Customer
from projects.catalogue.models import (
    PERCENT,
    Product,
)
from projects.deals.models import Opportunity


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    SENT = "sent", _("Sent to the customer")
    SUPERSEDED = "superseded", _("Superseded by a revision")


class Quote(ScopedModel):
    """A quote (报价单) under a deal. Approved and sent versions are frozen;
    revising one creates the next version (QUO-2). Totals are computed by
    ``projects.quotes.services`` from the lines, never taken from a form."""

    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        related_name="quotes",
        verbose_name=_("opportunity"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("customer")
    )
    number = models.CharField(_("number"), max_length=30)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revision",
        verbose_name=_("previous version"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT
    )
    valid_until = models.DateField(_("valid until"))
    terms = models.TextField(_("terms"), blank=True)
    subtotal = models.DecimalField(
        _("subtotal"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    list_total = models.DecimalField(
        _("list price total"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    tax = models.DecimalField(_("tax"), max_digits=14, decimal_places=2, default=Decimal("0"))
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=Decimal("0"))
    max_discount = models.DecimalField(
        _("largest discount (%)"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    approval_chain = models.JSONField(_("approval chain"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("set_line_price", _("Can give a line a list price other than the catalogue's"))
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "version"], name="quote_number_version"),
        ]
        indexes = [
            models.Index(fields=["opportunity", "-version"], name="quote_opportunity"),
            models.Index(fields=["customer", "-created_at"], name="quote_customer"),
            models.Index(fields=["owner", "status"], name="quote_owner_status"),
            models.Index(fields=["department", "status"], name="quote_department_status"),
            models.Index(fields=["branch", "status"], name="quote_branch_status"),
        ]

    def __str__(self) -> str:
        return f"{self.number} v{self.version}"

    def get_absolute_url(self) -> str:
        return reverse("quotes:quote:detail", kwargs={"pk": self.pk})

    @property
    def is_frozen(self) -> bool:
        return self.status != QuoteStatus.DRAFT


class QuoteUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Quote, on_delete=models.CASCADE)


class QuoteGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Quote, on_delete=models.CASCADE)


class QuoteLine(models.Model):
    """A line: list price less the discount gives the net price; amounts
    are rounded half-up to cents."""

    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="quote_lines", verbose_name=_("product")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    list_price = models.DecimalField(
        _("list price"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    discount = models.DecimalField(
        _("discount (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    net_price = models.DecimalField(_("net price"), max_digits=14, decimal_places=2)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="quoteline_quantity"),
            models.CheckConstraint(
                condition=models.Q(discount__gte=0, discount__lte=100), name="quoteline_discount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"


# --- Quote approval flow (QUO-3) -------------------------------------------------


class QuoteApprovalProcess(WorkflowProcess):
    """A run of ``projects.quotes.flows.QuoteApprovalFlow`` for one submission of a
    quote; the quote is the process artifact."""

    class Meta:
        proxy = True
        verbose_name = _("quote approval")
        verbose_name_plural = _("quote approvals")
        permissions = [
            # Nobody holds it by default: who decides a step comes from the
            # approval rules; the permission only keeps viewflow's generic
            # queues from offering the task to everyone.
            ("approve_quote", _("Can decide any quote approval step")),
        ]

    @property
    def quote(self) -> Quote:
        cached = self.__dict__.get("_quote")
        if cached is None or cached.pk != self.artifact_object_id:
            cached = Quote.objects.select_related("customer", "opportunity").get(
                pk=self.artifact_object_id
            )
            self.__dict__["_quote"] = cached
        return cached


class QuoteDecision(models.Model):
    """One entry of a quote's approval history: a submission, each approver's
    decision with its comment and level, an automatic approval (no rule
    applied) or a withdrawal. A task is decided at most once (unique)."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", pgettext_lazy("approval", "Submitted")
        APPROVED = "approved", pgettext_lazy("approval", "Approved")
        REJECTED = "rejected", pgettext_lazy("approval", "Rejected")
        AUTO_APPROVED = "auto_approved", pgettext_lazy("approval", "Approved automatically")
        WITHDRAWN = "withdrawn", pgettext_lazy("approval", "Withdrawn")

    quote = models.ForeignKey(
        Quote, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("quote")
    )
    process = models.ForeignKey(
        "viewflow.Process",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approval process"),
    )
    task = models.OneToOneField(
        "viewflow.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quote_decision",
        verbose_name=_("task"),
    )
    kind = models.CharField(_("decision"), max_length=20, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    step_name = models.CharField(_("step"), max_length=100, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    comment = models.TextField(pgettext_lazy("approval", "comment"), blank=True)

    class Meta:
        verbose_name = _("quote decision")
        verbose_name_plural = _("quote decisions")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["quote", "at"], name="quotedecision_quote")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="rejected", comment=""),
                name="quotedecision_reject_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quote} {self.get_kind_display()}"


# Orders and contracts live in their own module; importing it here makes them
# models of this app.

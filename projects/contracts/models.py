"""Sales orders (ORD-1) and contracts with their execution plans (CON-1, CON-2).

Money is ``Decimal`` rounded half-up to cents; totals are
computed by the services in ``projects.orders.services`` and ``projects.contracts.services``,
never taken from a form.
"""

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
from projects.deals.models import (
    Opportunity,
    Todo,
)
from projects.orders.models import ZERO, money_field
from projects.quotes.models import Quote


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    SIGNED = "signed", _("Signed")
    COMPLETED = "completed", pgettext_lazy("contract status", "Completed")


class Contract(ScopedModel):
    """A contract (合同) from a won deal or an approved quote, with its
    execution plan: milestones and instalments that add up to the amount."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    title = models.CharField(pgettext_lazy("record name", "title"), max_length=200)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("opportunity"),
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("quote"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    approval_chain = models.JSONField(_("approval chain"), default=list, blank=True)
    collected_amount = money_field(_("collected amount"), default=ZERO)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["-created_at", "-id"]
        permissions = [("record_payment_contract", _("Can record payments of contracts"))]
        indexes = [
            models.Index(fields=["owner", "status"], name="contract_owner_status"),
            models.Index(fields=["department", "status"], name="contract_department_status"),
            models.Index(fields=["branch", "status"], name="contract_branch_status"),
            models.Index(fields=["customer", "-created_at"], name="contract_customer"),
            models.Index(fields=["opportunity"], name="contract_opportunity"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("orders:contract:detail", kwargs={"pk": self.pk})


class ContractUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Contract, on_delete=models.CASCADE)


class ContractGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Contract, on_delete=models.CASCADE)


class MilestoneKind(models.TextChoices):
    DELIVERY = "delivery", _("Delivery")
    IMPLEMENTATION = "implementation", _("Implementation")
    TRAINING = "training", _("Training")
    ACCEPTANCE = "acceptance", _("Acceptance")
    SERVICE = "service", pgettext_lazy("milestone", "Service")


class ContractMilestone(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="milestones")
    kind = models.CharField(_("kind"), max_length=20, choices=MilestoneKind.choices)
    name = models.CharField(_("name"), max_length=200)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["contract", "due_on", "id"]

    def __str__(self) -> str:
        return self.name


class Instalment(models.Model):
    """A planned payment (分期收款). Overdue ones raise a dunning to-do."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="instalments")
    sequence = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    received_amount = money_field(_("received"), default=ZERO)
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True)
    dunning_todo = models.OneToOneField(
        Todo,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="instalment",
        verbose_name=_("dunning to-do"),
    )

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="instalment_sequence"),
            models.CheckConstraint(
                condition=models.Q(received_amount__gte=0)
                & models.Q(received_amount__lte=models.F("amount")),
                name="instalment_received_within_amount",
            ),
        ]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="instalment_open_due",
                condition=models.Q(received_amount__lt=models.F("amount")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract.number} #{self.sequence}"

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.received_amount


class ExecutionRecord(models.Model):
    """What was actually done under a contract: who, what, quantity, amount, when."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="execution_records"
    )
    milestone = models.ForeignKey(
        ContractMilestone,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("milestone"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    what = models.CharField(_("what"), max_length=300)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    amount = money_field(_("amount"), null=True, blank=True)
    done_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("execution record")
        verbose_name_plural = _("execution records")
        ordering = ["contract", "done_on", "id"]

    def __str__(self) -> str:
        return self.what


class ContractApprovalProcess(WorkflowProcess):
    """A run of ``projects.contracts.flows.ContractApprovalFlow`` for one submission of
    a contract: one step per level of the chain its approval rules require."""

    class Meta:
        proxy = True
        verbose_name = _("contract approval")
        verbose_name_plural = _("contract approvals")
        permissions = [("approve_contract", _("Can decide any contract approval step"))]

    @property
    def contract(self) -> Contract:
        cached = self.__dict__.get("_contract")
        if cached is None or cached.pk != self.artifact_object_id:
            cached = Contract.objects.select_related("customer", "owner").get(
                pk=self.artifact_object_id
            )
            self.__dict__["_contract"] = cached
        return cached

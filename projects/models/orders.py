"""Sales orders (ORD-1) and contracts with their execution plans (CON-1, CON-2).

Money is ``Decimal`` rounded half-up to cents; totals are
computed by the services in ``projects.orders`` and ``projects.contracts``,
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

from crm.models import ScopedModel
from customers.models import Customer
from projects.models.catalogue import PERCENT, Product
from projects.models.deals import Opportunity, Todo
from projects.models.quotes import Quote

ZERO = Decimal("0")


def _money(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


# --- Sales orders (ORD-1) ------------------------------------------------------------


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    BUSINESS_REVIEW = "business_review", _("Business review")
    FINANCE_REVIEW = "finance_review", _("Finance re-check")
    DELIVERY = "delivery", _("Delivery")
    COLLECTION = "collection", _("Collection")
    COMPLETED = "completed", pgettext_lazy("order status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")


class SalesOrder(ScopedModel):
    """A sales order (销售订单) entered by a rep, from an approved quote or
    directly for standard products, then business review → finance
    re-check → delivery → collection → completed."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="sales_orders", verbose_name=_("customer")
    )
    opportunity = models.ForeignKey(
        Opportunity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales_orders",
        verbose_name=_("opportunity"),
    )
    quote = models.ForeignKey(
        Quote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales_orders",
        verbose_name=_("quote"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    order_date = models.DateField(_("order date"))
    delivery_address = models.CharField(_("delivery address"), max_length=300, blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    subtotal = _money(_("subtotal"), default=ZERO)
    tax = _money(_("tax"), default=ZERO)
    total = _money(_("total"), default=ZERO)
    delivered_amount = _money(_("delivered amount"), default=ZERO)
    collected_amount = _money(_("collected amount"), default=ZERO)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason sent back"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-order_date", "-id"]
        permissions = [
            ("review_salesorder", _("Can do the business review of orders")),
            ("finance_check_salesorder", _("Can do the finance re-check of orders")),
            ("deliver_salesorder", _("Can record deliveries of orders")),
            ("collect_salesorder", _("Can record collections of orders")),
        ]
        indexes = [
            models.Index(fields=["owner", "status", "-order_date"], name="order_owner_status"),
            models.Index(
                fields=["department", "status", "-order_date"], name="order_department_status"
            ),
            models.Index(fields=["branch", "status", "-order_date"], name="order_branch_status"),
            models.Index(fields=["customer", "-order_date"], name="order_customer"),
            models.Index(fields=["opportunity"], name="order_opportunity"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(collected_amount__lte=models.F("total")),
                name="order_collected_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:salesorder:detail", kwargs={"pk": self.pk})

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.collected_amount


class SalesOrderUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(SalesOrder, on_delete=models.CASCADE)


class SalesOrderGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(SalesOrder, on_delete=models.CASCADE)


class SalesOrderLine(models.Model):
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="order_lines", verbose_name=_("product")
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    list_price = _money(_("list price"), validators=[MinValueValidator(ZERO)])
    discount = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    net_price = _money(_("net price"))
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2)
    amount = _money(_("amount"))
    delivered_quantity = models.DecimalField(
        _("delivered"), max_digits=12, decimal_places=2, default=ZERO
    )

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orderline_quantity"),
            models.CheckConstraint(
                condition=models.Q(delivered_quantity__gte=0)
                & models.Q(delivered_quantity__lte=models.F("quantity")),
                name="orderline_delivered_within_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} × {self.quantity}"

    @property
    def open_quantity(self) -> Decimal:
        return self.quantity - self.delivered_quantity


class Delivery(models.Model):
    """A delivery (发货) of some or all of an order's open quantities."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="deliveries")
    delivered_on = models.DateField(_("delivered on"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    amount = _money(_("amount"), default=ZERO)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["order", "delivered_on", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.delivered_on}"


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        SalesOrderLine, on_delete=models.PROTECT, related_name="deliveries"
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )

    class Meta:
        verbose_name = _("delivered line")
        verbose_name_plural = _("delivered lines")

    def __str__(self) -> str:
        return f"{self.order_line} ({self.quantity})"


class Collection(models.Model):
    """A payment received (收款) against an order."""

    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="collections")
    received_on = models.DateField(_("received on"))
    amount = _money(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["order", "received_on", "id"]

    def __str__(self) -> str:
        return f"{self.order} {self.amount}"


# --- Contracts (CON-1, CON-2) --------------------------------------------------------


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
    title = models.CharField(_("title"), max_length=200)
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
    amount = _money(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    approval_chain = models.JSONField(_("approval chain"), default=list, blank=True)
    collected_amount = _money(_("collected amount"), default=ZERO)

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
    amount = _money(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
    received_amount = _money(_("received"), default=ZERO)
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
    amount = _money(_("amount"), null=True, blank=True)
    done_on = models.DateField(_("date"))

    class Meta:
        verbose_name = _("execution record")
        verbose_name_plural = _("execution records")
        ordering = ["contract", "done_on", "id"]

    def __str__(self) -> str:
        return self.what


# --- Workflow processes (viewflow proxies) -------------------------------------------

from viewflow.workflow.models import Process as WorkflowProcess  # noqa: E402


class SalesOrderProcess(WorkflowProcess):
    """A run of ``projects.flows.SalesOrderFlow`` for one submission of an
    order (the process artifact): review, re-check, deliveries, collections."""

    class Meta:
        proxy = True
        verbose_name = _("sales order process")
        verbose_name_plural = _("sales order processes")

    @property
    def order(self) -> SalesOrder:
        cached = self.__dict__.get("_order")
        if cached is None or cached.pk != self.artifact_object_id:
            cached = SalesOrder.objects.select_related("customer", "owner").get(
                pk=self.artifact_object_id
            )
            self.__dict__["_order"] = cached
        return cached


class ContractApprovalProcess(WorkflowProcess):
    """A run of ``projects.flows.ContractApprovalFlow`` for one submission of
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

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
from projects.catalogue.models import (
    PERCENT,
    Product,
)
from projects.deals.models import (
    Opportunity,
)
from projects.quotes.models import Quote

ZERO = Decimal("0")


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


# --- Sales orders (ORD-1) ------------------------------------------------------------


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    BUSINESS_REVIEW = "business_review", _("Business review")
    FINANCE_REVIEW = "finance_review", _("Finance re-check")
    DELIVERY = "delivery", pgettext_lazy("order status", "Delivery")
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
    subtotal = money_field(_("subtotal"), default=ZERO)
    tax = money_field(_("tax"), default=ZERO)
    total = money_field(_("total"), default=ZERO)
    delivered_amount = money_field(_("delivered amount"), default=ZERO)
    collected_amount = money_field(_("collected amount"), default=ZERO)
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
    list_price = money_field(_("list price"), validators=[MinValueValidator(ZERO)])
    discount = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=ZERO, validators=PERCENT
    )
    net_price = money_field(_("net price"))
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2)
    amount = money_field(_("amount"))
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
    amount = money_field(_("amount"), default=ZERO)
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
    amount = money_field(_("amount"), validators=[MinValueValidator(Decimal("0.01"))])
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


# --- Workflow processes (viewflow proxies) -------------------------------------------


class SalesOrderProcess(WorkflowProcess):
    """A run of ``projects.orders.flows.SalesOrderFlow`` for one submission of an
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

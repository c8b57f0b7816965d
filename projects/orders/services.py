"""Sales orders (ORD-1): entered by a rep, reviewed by the business secretary,
re-checked by finance, delivered (partially, if need be) and collected
(partially, if need be). Each step is a service here; the workflow
(``projects.orders.flows``) assigns the steps to people and calls these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.money import format_money
from crm.scope import access_object, lock_object
from customers.models import Customer
from projects.models import (
    Collection,
    Delivery,
    DeliveryLine,
    Opportunity,
    OrderStatus,
    Quote,
    QuoteStatus,
    SalesOrder,
    SalesOrderLine,
)
from projects.quotes.services import (
    AMOUNT_LIMIT,
    SET_LINE_PRICE,
    TOO_LARGE,
    LineInput,
    line_tax,
    money,
    price_line,
)

ZERO = Decimal("0")

ONLY_DRAFT = _("Only a draft order can be changed.")
NOT_IN_STEP = _("The order is not waiting for this step.")
QUOTE_NOT_APPROVED = _("Orders are made from approved or sent quotes only.")
NO_LINES = _("An order needs at least one line.")
REASON_REQUIRED = _("Say why the order is sent back.")
OVER_DELIVERY = _("Line %(position)s: only %(open)s left to deliver.")
EMPTY_DELIVERY = _("Enter a delivered quantity for at least one line.")
NEGATIVE_DELIVERY = _("Delivered quantities must be greater than zero.")
OVER_COLLECTION = _("Only %(outstanding)s is still to be collected.")
NON_POSITIVE_COLLECTION = _("A collected amount must be greater than zero.")
NOT_ALLOWED = _("You are not allowed to do this step.")
OWN_ORDER = _("You cannot review an order you entered yourself.")


def _lock(order: SalesOrder | int, by) -> SalesOrder:
    return lock_object(SalesOrder.objects.select_related("customer"), user=by, obj=order)


def _priced_lines(
    order: SalesOrder, lines: Iterable[LineInput | Mapping], *, may_set_price: bool
) -> list:
    built = [
        SalesOrderLine(order=order, **price_line(position, data, may_set_price=may_set_price))
        for position, data in enumerate(lines, start=1)
    ]
    if not built:
        raise ValidationError(NO_LINES)
    order.subtotal = money(sum((line.amount for line in built), ZERO))
    order.tax = money(sum((line_tax(line) for line in built), ZERO))
    order.total = order.subtotal + order.tax
    if order.total >= AMOUNT_LIMIT:
        raise ValidationError(TOO_LARGE)
    return built


def _save(order: SalesOrder, by, reason: str = "", **kwargs) -> None:
    order._history_user = by
    if reason:
        order._change_reason = reason
    order.save(**kwargs)


@transaction.atomic
def order_create(
    *,
    by,
    customer: Customer | None = None,
    quote: Quote | None = None,
    lines: Iterable[LineInput | Mapping] = (),
    order_date: date | None = None,
    **fields,
) -> SalesOrder:
    """A draft order: from an approved quote (its lines and deal), or directly
    for a customer the rep sees, with the given lines."""
    if not by.has_perm("projects.add_salesorder"):
        raise PermissionDenied(NOT_ALLOWED)
    opportunity = None
    if quote is not None:
        quote = access_object(Quote.objects.select_related("opportunity"), user=by, pk=quote.pk)
        if quote.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
            raise ValidationError(QUOTE_NOT_APPROVED)
        customer = quote.customer
        opportunity = quote.opportunity
        lines = [
            LineInput(
                product=line.product,
                quantity=line.quantity,
                discount=line.discount,
                list_price=line.list_price,
            )
            for line in quote.lines.select_related("product")
        ]
    else:
        customer = access_object(Customer.objects.all(), user=by, pk=customer.pk)
        opportunity = fields.pop("opportunity", None)
        if opportunity is not None:
            opportunity = access_object(Opportunity.objects.all(), user=by, pk=opportunity.pk)
    order = SalesOrder(
        number="",
        customer=customer,
        opportunity=opportunity,
        quote=quote,
        order_date=order_date or timezone.localdate(),
        **fields,
    )
    order.assign_owner(by)
    # Prices of an approved quote were approved; typed ones are the catalogue's
    # unless the user may set line prices.
    built = _priced_lines(
        order, lines, may_set_price=quote is not None or by.has_perm(SET_LINE_PRICE)
    )
    order.full_clean(exclude=["number"])
    _save(order, by)
    order.number = f"SO{order.order_date:%Y%m}{order.pk:06d}"
    order.save(update_fields=["number"])
    SalesOrderLine.objects.bulk_create(built)
    return order


@transaction.atomic
def order_update(
    *, order: SalesOrder, by, lines: Iterable[LineInput | Mapping] | None = None, **fields
) -> SalesOrder:
    locked = _lock(order, by)
    if not by.has_perm("projects.change_salesorder"):
        raise PermissionDenied(NOT_ALLOWED)
    if locked.status != OrderStatus.DRAFT:
        raise ValidationError(ONLY_DRAFT)
    for name in ("order_date", "delivery_address", "payment_terms", "notes"):
        if name in fields:
            setattr(locked, name, fields[name])
    if lines is not None:
        built = _priced_lines(locked, lines, may_set_price=by.has_perm(SET_LINE_PRICE))
        locked.lines.all().delete()
        SalesOrderLine.objects.bulk_create(built)
    _save(locked, by)
    return locked


def _step(locked: SalesOrder, expected: str) -> None:
    if locked.status != expected:
        raise ValidationError(NOT_IN_STEP)


@transaction.atomic
def order_submit(*, order: SalesOrder, by) -> SalesOrder:
    """The rep hands the order to the business review."""
    locked = _lock(order, by)
    _step(locked, OrderStatus.DRAFT)
    if locked.owner_id != by.pk and not by.has_perm("projects.change_salesorder"):
        raise PermissionDenied(NOT_ALLOWED)
    locked.status = OrderStatus.BUSINESS_REVIEW
    locked.submitted_at = timezone.now()
    locked.rejection_reason = ""
    _save(locked, by, str(_("Submitted")))
    return locked


def _review(order, by, *, step: str, permission: str, approve: bool, reason: str, next_status):
    locked = _lock(order, by)
    _step(locked, step)
    if not by.has_perm(permission):
        raise PermissionDenied(NOT_ALLOWED)
    if locked.owner_id == by.pk:
        raise PermissionDenied(OWN_ORDER)
    if approve:
        locked.status = next_status
        _save(locked, by, reason or str(_("Approved")))
    else:
        if not reason.strip():
            raise ValidationError({"reason": REASON_REQUIRED})
        locked.status = OrderStatus.DRAFT
        locked.rejection_reason = reason.strip()
        _save(locked, by, reason.strip())
    return locked


@transaction.atomic
def order_business_review(*, order, by, approve: bool, reason: str = "") -> SalesOrder:
    """The business secretary's review (商务审核): on to finance, or back to the rep."""
    return _review(
        order,
        by,
        step=OrderStatus.BUSINESS_REVIEW,
        permission="projects.review_salesorder",
        approve=approve,
        reason=reason,
        next_status=OrderStatus.FINANCE_REVIEW,
    )


@transaction.atomic
def order_finance_review(*, order, by, approve: bool, reason: str = "") -> SalesOrder:
    """Finance's re-check (财务复核): on to delivery, or back to the rep."""
    return _review(
        order,
        by,
        step=OrderStatus.FINANCE_REVIEW,
        permission="projects.finance_check_salesorder",
        approve=approve,
        reason=reason,
        next_status=OrderStatus.DELIVERY,
    )


@transaction.atomic
def order_deliver(
    *, order: SalesOrder, by, quantities: Mapping[int, Decimal], on: date | None = None, note=""
) -> Delivery:
    """Record a delivery (发货): ``quantities`` maps order line ids to what
    was delivered now. Never more than is still open on a line. When every
    line is delivered the order moves on to collection."""
    locked = _lock(order, by)
    _step(locked, OrderStatus.DELIVERY)
    if not by.has_perm("projects.deliver_salesorder"):
        raise PermissionDenied(NOT_ALLOWED)
    lines = {line.pk: line for line in locked.lines.select_for_update()}
    wanted = {pk: Decimal(q) for pk, q in quantities.items() if q not in (None, "", 0)}
    if not wanted:
        raise ValidationError(EMPTY_DELIVERY)
    errors = []
    for pk, quantity in wanted.items():
        line = lines.get(int(pk))
        if line is None:
            raise ValidationError(EMPTY_DELIVERY)
        if quantity <= 0:
            errors.append(NEGATIVE_DELIVERY)
        elif quantity > line.open_quantity:
            errors.append(OVER_DELIVERY % {"position": line.position, "open": line.open_quantity})
    if errors:
        raise ValidationError(errors)
    delivery = Delivery.objects.create(
        order=locked, delivered_on=on or timezone.localdate(), by=by, note=note
    )
    amount = ZERO
    for pk, quantity in wanted.items():
        line = lines[int(pk)]
        DeliveryLine.objects.create(delivery=delivery, order_line=line, quantity=quantity)
        SalesOrderLine.objects.filter(pk=line.pk).update(
            delivered_quantity=F("delivered_quantity") + quantity
        )
        amount += money(line.amount * quantity / line.quantity)
    delivery.amount = money(amount)
    delivery.save(update_fields=["amount"])
    locked.delivered_amount = money(locked.delivered_amount + amount)
    if not SalesOrderLine.objects.filter(
        order=locked, delivered_quantity__lt=F("quantity")
    ).exists():
        locked.status = OrderStatus.COLLECTION
        if locked.collected_amount == locked.total:  # paid in advance
            locked.status = OrderStatus.COMPLETED
            locked.completed_at = timezone.now()
    _save(locked, by, str(_("Delivery recorded")))
    return delivery


@transaction.atomic
def order_collect(
    *, order: SalesOrder, by, amount: Decimal, on: date | None = None, reference: str = ""
) -> Collection:
    """Record a payment (收款), never more than is outstanding. Collection can
    start while deliveries are still under way; the order completes when it
    is fully delivered and fully paid."""
    locked = _lock(order, by)
    if locked.status not in (OrderStatus.DELIVERY, OrderStatus.COLLECTION):
        raise ValidationError(NOT_IN_STEP)
    if not by.has_perm("projects.collect_salesorder"):
        raise PermissionDenied(NOT_ALLOWED)
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": NON_POSITIVE_COLLECTION})
    if amount > locked.outstanding:
        raise ValidationError(
            {"amount": OVER_COLLECTION % {"outstanding": format_money(locked.outstanding)}}
        )
    collection = Collection.objects.create(
        order=locked,
        received_on=on or timezone.localdate(),
        amount=amount,
        reference=reference,
        by=by,
    )
    locked.collected_amount = locked.collections.aggregate(total=Sum("amount"))["total"] or ZERO
    if locked.status == OrderStatus.COLLECTION and locked.collected_amount == locked.total:
        locked.status = OrderStatus.COMPLETED
        locked.completed_at = timezone.now()
    _save(locked, by, str(_("Collection recorded")))
    return collection

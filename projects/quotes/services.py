"""Quotes (QUO-2) and the approval chain rules decide (QUO-3).

Money is ``Decimal`` rounded half-up to cents at each line, and totals are
always computed here from the lines -- never taken from a form. A quote is
edited only as a draft; an approved or sent quote is revised into the next
version and the old one is kept, frozen.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.exceptions import FlowLockFailed

from approvals.models import DocumentType
from approvals.registry import flow_for
from approvals.rules import ChainStep, approval_chain, chain_with_approvers
from approvals.services import BUSY, ApprovalConflict, approval_start, display_name
from crm.notifications import notify
from crm.scope import access_object, lock_object
from projects.deals.permissions import deal_rights
from projects.models import (
    Opportunity,
    Product,
    Quote,
    QuoteApprovalProcess,
    QuoteDecision,
    QuoteLine,
    QuoteStatus,
    Stage,
)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")
#: Amounts are stored with 14 digits, 2 of them cents.
AMOUNT_LIMIT = Decimal("1000000000000")
#: Quantities with 12 digits, 2 of them decimals.
QUANTITY_LIMIT = Decimal("10000000000")

ONLY_DRAFTS = _("Only a draft quote can be changed; revise an approved or sent quote.")
ONLY_LATEST = _("Only the latest version of a quote can be revised.")
NOT_REVISABLE = _("Only an approved or sent quote is revised; edit a draft directly.")
NO_LINES = _("A quote needs at least one line.")
CLOSED_DEAL = _("Quotes are made for open or won deals only.")
NEGATIVE_QUANTITY = _("Quantities must be greater than zero.")
BAD_DISCOUNT = _("A discount is between 0 and 100 %.")
NEGATIVE_PRICE = _("Prices cannot be negative.")
INACTIVE_PRODUCT = _("This product is no longer sold.")
TOO_LARGE = _("The amount or quantity is too large for this line or document.")
NOT_SUBMITTABLE = _("Only a draft quote can be submitted.")
CANNOT_CHANGE = _("You are not allowed to change quotes of this deal.")
PRICE_LOCKED = _(
    "The list price of %(product)s is the catalogue's, %(price)s; you may not change it."
)

#: Who may give a line a list price other than the catalogue's.
SET_LINE_PRICE = "projects.set_line_price"


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    discount: Decimal = Decimal("0")
    list_price: Decimal | None = None  # default: the product's list price
    description: str = ""


def price_line(position: int, data: LineInput | Mapping, *, may_set_price: bool) -> dict:
    """The checked, priced values of one line (quotes and orders alike). The
    list price is the catalogue's unless ``may_set_price`` (the
    ``set_line_price`` permission, or prices taken from an approved quote)."""
    if isinstance(data, Mapping):
        data = LineInput(**data)
    quantity = Decimal(data.quantity)
    discount = Decimal(data.discount or 0)
    list_price = Decimal(data.product.list_price if data.list_price is None else data.list_price)
    errors = []
    if not may_set_price and money(list_price) != money(data.product.list_price):
        errors.append(
            PRICE_LOCKED % {"product": data.product, "price": money(data.product.list_price)}
        )
    if quantity <= 0:
        errors.append(NEGATIVE_QUANTITY)
    if not Decimal("0") <= discount <= HUNDRED:
        errors.append(BAD_DISCOUNT)
    if list_price < 0:
        errors.append(NEGATIVE_PRICE)
    if not data.product.is_active:
        errors.append(INACTIVE_PRODUCT)
    if errors:
        raise ValidationError({f"line_{position}": errors})
    net_price = money(list_price * (HUNDRED - discount) / HUNDRED)
    if (
        quantity >= QUANTITY_LIMIT
        or list_price >= AMOUNT_LIMIT
        or net_price * quantity >= AMOUNT_LIMIT
    ):
        raise ValidationError({f"line_{position}": [TOO_LARGE]})
    return {
        "position": position,
        "product": data.product,
        "quantity": quantity,
        "list_price": money(list_price),
        "discount": discount,
        "net_price": net_price,
        "tax_rate": data.product.tax_rate,
        "amount": money(net_price * quantity),
    }


def _line(
    quote: Quote, position: int, data: LineInput | Mapping, *, may_set_price: bool
) -> QuoteLine:
    description = data.get("description", "") if isinstance(data, Mapping) else data.description
    return QuoteLine(
        quote=quote,
        description=description,
        **price_line(position, data, may_set_price=may_set_price),
    )


def line_tax(line) -> Decimal:
    return money(line.amount * line.tax_rate / HUNDRED)


def apply_totals(quote, lines: list) -> None:
    """Set a quote's totals from its lines (tax rounded per line)."""
    quote.subtotal = money(sum((line.amount for line in lines), Decimal("0")))
    quote.list_total = money(sum((line.list_price * line.quantity for line in lines), Decimal("0")))
    quote.tax = money(sum((line_tax(line) for line in lines), Decimal("0")))
    quote.total = quote.subtotal + quote.tax
    quote.max_discount = max((catalogue_discount(line) for line in lines), default=Decimal("0"))


def catalogue_discount(line) -> Decimal:
    """A line's discount measured from the catalogue's list price, whatever
    list price the line carries (a lower list price is a discount too)."""
    catalogue = line.product.list_price
    if not catalogue:
        return Decimal(line.discount)
    off = (catalogue - line.net_price) * HUNDRED / catalogue
    return min(HUNDRED, max(Decimal("0"), off)).quantize(CENT, rounding=ROUND_HALF_UP)


def lines_margin(lines) -> Decimal | None:
    """The margin (%) of priced lines over their products' costs; ``None``
    without revenue."""
    revenue = sum((line.amount for line in lines), Decimal("0"))
    if revenue <= 0:
        return None
    cost = sum((line.product.cost * line.quantity for line in lines), Decimal("0"))
    return ((revenue - cost) * HUNDRED / revenue).quantize(CENT, rounding=ROUND_HALF_UP)


def _check_can_change(by) -> None:
    if not by.has_perm("projects.change_quote"):
        raise PermissionDenied(CANNOT_CHANGE)


def _write_lines(quote: Quote, lines: Iterable[LineInput | Mapping], by) -> list[QuoteLine]:
    may_set_price = by.has_perm(SET_LINE_PRICE)
    built = [
        _line(quote, position, data, may_set_price=may_set_price)
        for position, data in enumerate(lines, start=1)
    ]
    if not built:
        raise ValidationError(NO_LINES)
    apply_totals(quote, built)
    if quote.total >= AMOUNT_LIMIT:
        raise ValidationError(TOO_LARGE)
    return built


@transaction.atomic
def quote_create(
    *,
    opportunity: Opportunity,
    by,
    lines: Iterable[LineInput | Mapping],
    valid_until: date,
    terms: str = "",
) -> Quote:
    """A draft quote, version 1, under a deal the user sees (else 404)."""
    if not by.has_perm("projects.add_quote"):
        raise PermissionDenied(CANNOT_CHANGE)
    deal = access_object(Opportunity.objects.select_related("owner"), user=by, pk=opportunity.pk)
    if not deal_rights(by, deal).act:  # a team member who only takes part
        raise PermissionDenied(CANNOT_CHANGE)
    if deal.status not in (Stage.Kind.OPEN, Stage.Kind.WON):
        raise ValidationError(CLOSED_DEAL)
    quote = Quote(
        opportunity=deal,
        customer_id=deal.customer_id,
        number="",
        valid_until=valid_until,
        terms=terms,
        owner=deal.owner or by,
        department_id=deal.department_id,
        branch_id=deal.branch_id,
    )
    if deal.owner is None:
        quote.assign_owner(by)
    built = _write_lines(quote, lines, by)
    quote._history_user = by
    quote.save()
    quote.number = f"QT{timezone.localdate():%Y}{quote.pk:06d}"
    quote.save(update_fields=["number"])
    QuoteLine.objects.bulk_create(built)
    return quote


def _lock(quote: Quote | int, by) -> Quote:
    return lock_object(Quote.objects.all(), user=by, obj=quote)


@transaction.atomic
def quote_update(
    *,
    quote: Quote,
    by,
    lines: Iterable[LineInput | Mapping] | None = None,
    **fields,
) -> Quote:
    """Edit a draft: its validity, terms and (all of) its lines."""
    locked = _lock(quote, by)
    _check_can_change(by)
    if locked.status != QuoteStatus.DRAFT:
        raise ValidationError(ONLY_DRAFTS)
    for name in ("valid_until", "terms"):
        if name in fields:
            setattr(locked, name, fields[name])
    if lines is not None:
        built = _write_lines(locked, lines, by)
        locked.lines.all().delete()
        QuoteLine.objects.bulk_create(built)
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def quote_revise(*, quote: Quote, by) -> Quote:
    """The next version of an approved or sent quote, as a draft with the
    same lines; the old version is kept, frozen, marked superseded."""
    locked = _lock(quote, by)
    _check_can_change(by)
    if locked.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
        raise ValidationError(NOT_REVISABLE)
    if Quote.objects.filter(previous=locked).exists():
        raise ValidationError(ONLY_LATEST)
    lines = list(locked.lines.all())
    revision = Quote(
        opportunity_id=locked.opportunity_id,
        customer_id=locked.customer_id,
        number=locked.number,
        version=locked.version + 1,
        previous=locked,
        valid_until=max(locked.valid_until, timezone.localdate()),
        terms=locked.terms,
        owner_id=locked.owner_id,
        department_id=locked.department_id,
        branch_id=locked.branch_id,
    )
    copies = [
        QuoteLine(
            quote=revision,
            position=line.position,
            product_id=line.product_id,
            description=line.description,
            quantity=line.quantity,
            list_price=line.list_price,
            discount=line.discount,
            net_price=line.net_price,
            tax_rate=line.tax_rate,
            amount=line.amount,
        )
        for line in lines
    ]
    apply_totals(revision, copies)
    revision._history_user = by
    revision.save()
    QuoteLine.objects.bulk_create(copies)
    locked.status = QuoteStatus.SUPERSEDED
    locked._history_user = by
    locked._change_reason = str(_("Revised"))
    locked.save(update_fields=["status", "updated_at"])
    return revision


# --- Approval (QUO-3): submit, withdraw, finish ---------------------------------
#
# The approvals engine routes (``projects.quotes.flows.QuoteApprovalFlow``)
# and decides (``approvals.services.approval_decide``); these services write
# the quote. A withdrawal takes the flow's lock like a decision, so the two
# are serialised.


def quote_chain(quote: Quote) -> list[ChainStep]:
    """The approval the quote needs, judged against the catalogue: its
    largest discount from the catalogue's prices and its margin over cost."""
    lines = list(quote.lines.select_related("product"))
    return approval_chain(
        document_type=DocumentType.QUOTE,
        amount=quote.total,
        discount=max((catalogue_discount(line) for line in lines), default=Decimal("0")),
        margin=lines_margin(lines),
        customer_type=quote.customer.type,
        branch_id=quote.branch_id,
    )


NOT_WITHDRAWABLE = _("Only a quote waiting for its first decision can be withdrawn.")
NOT_YOUR_QUOTE = _("Only the submitter or the owner of the quote can withdraw it.")
OWN_DOCUMENT = _("You cannot approve or reject a quote you submitted.")
REASON_REQUIRED = _("Give a reason when you reject a quote.")
STEP_CLOSED = _("This approval step is closed: the quote was withdrawn or its approval ended.")


def _record(quote: Quote, kind: str, **fields) -> QuoteDecision:
    return QuoteDecision.objects.create(quote=quote, kind=kind, **fields)


def quote_processes(quote: Quote):
    """The approval processes (one per submission) of ``quote``, newest first."""
    return QuoteApprovalProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(Quote),
        artifact_object_id=quote.pk,
    ).order_by("-created", "-id")


@transaction.atomic
def quote_submit(*, quote: Quote, by) -> Quote:
    """Submit a draft: the chain the rules require is stored on the quote (and
    shown to the submitter); no rule applying approves it at once, recorded
    as such; otherwise the approval flow starts with the first step."""
    locked = _lock(quote, by)
    _check_can_change(by)
    if locked.status != QuoteStatus.DRAFT:
        raise ValidationError(NOT_SUBMITTABLE)
    steps = chain_with_approvers(
        quote_chain(locked), branch_id=locked.branch_id, submitter_id=by.pk
    )
    now = timezone.now()
    locked.approval_chain = steps
    locked.submitted_at, locked.submitted_by = now, by
    locked.status = QuoteStatus.SUBMITTED
    fields = ["approval_chain", "submitted_at", "submitted_by", "status", "updated_at"]
    _record(locked, QuoteDecision.Kind.SUBMITTED, by=by)
    if not steps:
        locked.status, locked.approved_at = QuoteStatus.APPROVED, now
        fields.append("approved_at")
        _record(locked, QuoteDecision.Kind.AUTO_APPROVED)
    locked._history_user = by
    locked.save(update_fields=fields)
    if steps:
        approval_start(document=locked, by=by)
    return locked


def quote_approval_finished(*, process, approved: bool) -> Quote:
    """Called by the flow when the last step approved or a step rejected:
    approved quotes are frozen; rejected ones go back to draft (the reason
    stays in the decisions). The submitter is told either way."""
    quote = Quote.objects.select_for_update(of=("self",)).get(pk=process.artifact_object_id)
    if quote.status != QuoteStatus.SUBMITTED:
        return quote
    last = (
        QuoteDecision.objects.filter(process_id=process.pk)
        .exclude(kind=QuoteDecision.Kind.SUBMITTED)
        .select_related("by")
        .order_by("-at", "-id")
        .first()
    )
    if approved:
        quote.status, quote.approved_at = QuoteStatus.APPROVED, timezone.now()
        fields = ["status", "approved_at", "updated_at"]
        title = lambda: _("Quote %(quote)s was approved") % {"quote": quote}  # noqa: E731
        body = lambda: ""  # noqa: E731
    else:
        quote.status = QuoteStatus.DRAFT
        fields = ["status", "updated_at"]
        reason = last.comment if last else ""
        who = display_name(last.by) if last else ""
        title = lambda: _("Quote %(quote)s was rejected") % {"quote": quote}  # noqa: E731
        body = lambda: _("%(user)s: %(reason)s") % {"user": who, "reason": reason}  # noqa: E731
    quote._history_user = last.by if last else None
    quote.save(update_fields=fields)
    notify(recipients=[quote.submitted_by_id], title=title, body=body, url=quote.get_absolute_url())
    return quote


def quote_withdraw(*, quote: Quote, by) -> Quote:
    """Take a submitted quote back to draft before anyone decided a step.

    Locks in the order a decision does (the process row, then the quote), so
    a withdrawal racing a decision waits for it and then sees the decision.
    """
    visible = access_object(Quote, user=by, pk=quote.pk)
    process = quote_processes(visible).filter(finished__isnull=True).first()
    if process is None:
        raise ValidationError(NOT_WITHDRAWABLE)
    flow_class = flow_for(Quote)
    try:
        with flow_class.lock(process.pk), transaction.atomic():
            locked = _lock(visible, by)
            if by.pk not in (locked.submitted_by_id, locked.owner_id):
                raise PermissionDenied(NOT_YOUR_QUOTE)
            process.refresh_from_db()
            decided = QuoteDecision.objects.filter(
                process_id=process.pk,
                kind__in=[QuoteDecision.Kind.APPROVED, QuoteDecision.Kind.REJECTED],
            ).exists()
            if locked.status != QuoteStatus.SUBMITTED or process.finished or decided:
                raise ValidationError(NOT_WITHDRAWABLE)
            flow_class.instance.cancel(process)
            locked.status = QuoteStatus.DRAFT
            locked._history_user = by
            locked._change_reason = str(_("Withdrawn"))
            locked.save(update_fields=["status", "updated_at"])
            _record(locked, QuoteDecision.Kind.WITHDRAWN, process=process, by=by)
            return locked
    except FlowLockFailed as exc:
        raise ApprovalConflict(BUSY) from exc


NOT_SENDABLE = _("Only an approved quote can be marked as sent.")


@transaction.atomic
def quote_mark_sent(*, quote: Quote, by) -> Quote:
    """Record that an approved quote went to the customer (it stays frozen)."""
    locked = _lock(quote, by)
    _check_can_change(by)
    if locked.status != QuoteStatus.APPROVED:
        raise ValidationError(NOT_SENDABLE)
    locked.status, locked.sent_at = QuoteStatus.SENT, timezone.now()
    locked._history_user = by
    locked.save(update_fields=["status", "sent_at", "updated_at"])
    return locked

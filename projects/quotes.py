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

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Role
from crm.scope import access_object
from projects.models import (
    ApprovalRule,
    DocumentType,
    Opportunity,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    Stage,
)

CENT = Decimal("0.01")
HUNDRED = Decimal("100")

ONLY_DRAFTS = _("Only a draft quote can be changed; revise an approved or sent quote.")
ONLY_LATEST = _("Only the latest version of a quote can be revised.")
NOT_REVISABLE = _("Only an approved or sent quote is revised; edit a draft directly.")
NO_LINES = _("A quote needs at least one line.")
CLOSED_DEAL = _("Quotes are made for open or won deals only.")
NEGATIVE_QUANTITY = _("Quantities must be greater than zero.")
BAD_DISCOUNT = _("A discount is between 0 and 100 %.")
NEGATIVE_PRICE = _("Prices cannot be negative.")
INACTIVE_PRODUCT = _("This product is no longer sold.")
NOT_SUBMITTABLE = _("Only a draft quote can be submitted.")
CANNOT_CHANGE = _("You are not allowed to change quotes of this deal.")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    discount: Decimal = Decimal("0")
    list_price: Decimal | None = None  # default: the product's list price
    description: str = ""


def _line(quote: Quote, position: int, data: LineInput | Mapping) -> QuoteLine:
    if isinstance(data, Mapping):
        data = LineInput(**data)
    quantity = Decimal(data.quantity)
    discount = Decimal(data.discount or 0)
    list_price = Decimal(data.product.list_price if data.list_price is None else data.list_price)
    errors = []
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
    return QuoteLine(
        quote=quote,
        position=position,
        product=data.product,
        description=data.description,
        quantity=quantity,
        list_price=money(list_price),
        discount=discount,
        net_price=net_price,
        tax_rate=data.product.tax_rate,
        amount=money(net_price * quantity),
    )


def line_tax(line: QuoteLine) -> Decimal:
    return money(line.amount * line.tax_rate / HUNDRED)


def apply_totals(quote: Quote, lines: list[QuoteLine]) -> None:
    """Set the quote's totals from its lines (tax rounded per line)."""
    quote.subtotal = money(sum((line.amount for line in lines), Decimal("0")))
    quote.list_total = money(sum((line.list_price * line.quantity for line in lines), Decimal("0")))
    quote.tax = money(sum((line_tax(line) for line in lines), Decimal("0")))
    quote.total = quote.subtotal + quote.tax
    quote.max_discount = max((line.discount for line in lines), default=Decimal("0"))


def _check_can_change(by) -> None:
    if not by.has_perm("projects.change_quote"):
        raise PermissionDenied(CANNOT_CHANGE)


def _write_lines(quote: Quote, lines: Iterable[LineInput | Mapping]) -> list[QuoteLine]:
    built = [_line(quote, position, data) for position, data in enumerate(lines, start=1)]
    if not built:
        raise ValidationError(NO_LINES)
    apply_totals(quote, built)
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
    built = _write_lines(quote, lines)
    quote._history_user = by
    quote.save()
    quote.number = f"QT{timezone.localdate():%Y}{quote.pk:06d}"
    quote.save(update_fields=["number"])
    QuoteLine.objects.bulk_create(built)
    return quote


def _lock(quote: Quote | int, by) -> Quote:
    pk = quote if isinstance(quote, int) else quote.pk
    return access_object(Quote.objects.select_for_update(of=("self",)), user=by, pk=pk)


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
        built = _write_lines(locked, lines)
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


# --- Approval chains (QUO-3) -------------------------------------------------------


@dataclass(frozen=True)
class ChainStep:
    level: int
    rule_id: int
    rule_name: str
    role_code: str | None
    user_id: int | None

    def as_json(self) -> dict:
        return {
            "level": self.level,
            "rule": self.rule_id,
            "name": self.rule_name,
            "role": self.role_code,
            "user": self.user_id,
        }


def approval_chain(
    *,
    document_type: str,
    amount: Decimal,
    discount: Decimal = Decimal("0"),
    customer_type: str = "",
    branch_id: int | None = None,
) -> list[ChainStep]:
    """The steps the active rules require, in level order, each approver
    once (at its first level). Empty: approved automatically."""
    rules = (
        ApprovalRule.objects.filter(document_type=document_type, is_active=True)
        .filter(Q(discount_above__isnull=True) | Q(discount_above__lt=discount))
        .filter(Q(amount_above__isnull=True) | Q(amount_above__lt=amount))
        .filter(Q(customer_type="") | Q(customer_type=customer_type))
        .filter(Q(branch__isnull=True) | Q(branch_id=branch_id))
        .select_related("approver_role")
        .order_by("level", "id")
    )
    steps, seen = [], set()
    for rule in rules:
        approver = (rule.approver_role_id, rule.approver_user_id)
        if approver in seen:
            continue
        seen.add(approver)
        steps.append(
            ChainStep(
                level=rule.level,
                rule_id=rule.pk,
                rule_name=rule.name,
                role_code=rule.approver_role.code if rule.approver_role else None,
                user_id=rule.approver_user_id,
            )
        )
    return steps


#: Roles that approve for every branch; other roles approve in their own branch.
COMPANY_WIDE_ROLES = {Role.Code.HQ_EXECUTIVE, Role.Code.ADMIN}


def step_approvers(step: ChainStep | Mapping, *, branch_id: int, submitter_id: int | None):
    """Active users who may decide ``step`` of a document of ``branch_id``;
    never the submitter, even holding the role."""
    User = get_user_model()
    if isinstance(step, Mapping):
        role_code, user_id = step.get("role"), step.get("user")
    else:
        role_code, user_id = step.role_code, step.user_id
    users = User.objects.filter(is_active=True, employee__is_active=True)
    if user_id is not None:
        users = users.filter(pk=user_id)
    else:
        users = users.filter(groups__role__code=role_code)
        if role_code not in COMPANY_WIDE_ROLES:
            users = users.filter(employee__department__branch_id=branch_id)
    if submitter_id is not None:
        users = users.exclude(pk=submitter_id)
    return users.distinct()


def quote_chain(quote: Quote) -> list[ChainStep]:
    return approval_chain(
        document_type=DocumentType.QUOTE,
        amount=quote.total,
        discount=quote.max_discount,
        customer_type=quote.customer.type,
        branch_id=quote.branch_id,
    )

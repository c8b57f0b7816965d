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
from crm.scope import access_object, lock_object
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


def price_line(position: int, data: LineInput | Mapping) -> dict:
    """The checked, priced values of one line (quotes and orders alike)."""
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


def _line(quote: Quote, position: int, data: LineInput | Mapping) -> QuoteLine:
    description = data.get("description", "") if isinstance(data, Mapping) else data.description
    return QuoteLine(quote=quote, description=description, **price_line(position, data))


def line_tax(line) -> Decimal:
    return money(line.amount * line.tax_rate / HUNDRED)


def apply_totals(quote, lines: list) -> None:
    """Set a quote's totals from its lines (tax rounded per line)."""
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


# --- Approval (QUO-3): submit, decide, withdraw -----------------------------------
#
# The flow (``projects.quotes.flows.QuoteApprovalFlow``) routes; these services write.
# Every decision runs under the flow's ``select_for_update`` lock on the process
# row, so two approvers deciding the same step at once are serialised: the
# first one's decision is recorded, the second is told who decided.

NO_APPROVER = _("Nobody can approve the step “%(step)s” in this branch; ask an administrator.")
NOT_WITHDRAWABLE = _("Only a quote waiting for its first decision can be withdrawn.")
NOT_YOUR_QUOTE = _("Only the submitter or the owner of the quote can withdraw it.")
NOT_YOUR_TASK = _("This approval step is not assigned to you.")
OWN_DOCUMENT = _("You cannot approve or reject a quote you submitted.")
REASON_REQUIRED = _("Give a reason when you reject a quote.")
ALREADY_DECIDED = _("This step was already decided by %(user)s (%(decision)s).")
STEP_CLOSED = _("This approval step is closed: the quote was withdrawn or its approval ended.")
BUSY = _("Another approver is deciding this step right now; reload the page in a moment.")


class ApprovalConflict(Exception):
    """The step was decided or closed by someone else first."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _record(quote: Quote, kind: str, **fields):
    from projects.models import QuoteDecision

    return QuoteDecision.objects.create(quote=quote, kind=kind, **fields)


def quote_processes(quote: Quote):
    """The approval processes (one per submission) of ``quote``, newest first."""
    from django.contrib.contenttypes.models import ContentType

    from projects.models import QuoteApprovalProcess

    return QuoteApprovalProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(Quote),
        artifact_object_id=quote.pk,
    ).order_by("-created", "-id")


@transaction.atomic
def quote_submit(*, quote: Quote, by) -> Quote:
    """Submit a draft: the chain the rules require is stored on the quote (and
    shown to the submitter); no rule applying approves it at once, recorded
    as such; otherwise the approval flow starts with the first step."""
    from projects.models import QuoteDecision

    locked = _lock(quote, by)
    _check_can_change(by)
    if locked.status != QuoteStatus.DRAFT:
        raise ValidationError(NOT_SUBMITTABLE)
    chain = quote_chain(locked)
    steps = []
    for step in chain:
        approvers = list(
            step_approvers(step, branch_id=locked.branch_id, submitter_id=by.pk).values_list(
                "pk", flat=True
            )
        )
        if not approvers:
            raise ValidationError(NO_APPROVER % {"step": step.rule_name})
        steps.append({**step.as_json(), "approvers": approvers})
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
        from projects.quotes.flows import QuoteApprovalFlow

        QuoteApprovalFlow.start.run(quote=locked, by=by)
    return locked


def current_step(process) -> int:
    """Index in the chain of the step a process is at: the number of its
    approvals so far."""
    from projects.models import QuoteDecision

    return QuoteDecision.objects.filter(
        process_id=process.pk, kind=QuoteDecision.Kind.APPROVED
    ).count()


def may_decide(user, task) -> bool:
    """Whether ``user`` may decide the approval ``task``: its owner, or one of
    the step's approvers while nobody has taken it."""
    if user is None or not user.is_authenticated:
        return False
    if task.owner_id is not None:
        return task.owner_id == user.pk
    return user.pk in (task.data or {}).get("approvers", [])


def quote_decide(*, task_id: int, by, approve: bool, comment: str = ""):
    """Approve or reject one step. Refused with a clear message (and nothing
    written) for a step not assigned to ``by``, for the submitter's own quote,
    for a rejection without a reason, and for a step already decided."""
    from viewflow.workflow.exceptions import FlowLockFailed
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from projects.models import QuoteDecision
    from projects.quotes.flows import QuoteApprovalFlow

    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": REASON_REQUIRED})
    process_id = (
        Task.objects.filter(pk=task_id, process__flow_class=QuoteApprovalFlow)
        .values_list("process_id", flat=True)
        .first()
    )
    if process_id is None:
        raise Task.DoesNotExist(task_id)
    try:
        with QuoteApprovalFlow.lock(process_id), transaction.atomic():
            task = Task.objects.select_related("process").get(pk=task_id)
            if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                decided = QuoteDecision.objects.select_related("by").filter(task=task).first()
                if decided is None:
                    raise ApprovalConflict(STEP_CLOSED)
                raise ApprovalConflict(
                    ALREADY_DECIDED
                    % {"user": display_name(decided.by), "decision": decided.get_kind_display()}
                )
            quote = Quote.objects.select_for_update(of=("self",)).get(
                pk=task.process.artifact_object_id
            )
            if quote.submitted_by_id == by.pk:
                raise PermissionDenied(OWN_DOCUMENT)
            if not may_decide(by, task):
                raise PermissionDenied(NOT_YOUR_TASK)
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(by)
            activation.start(None)
            data = task.data or {}
            decision = _record(
                quote,
                QuoteDecision.Kind.APPROVED if approve else QuoteDecision.Kind.REJECTED,
                process=task.process,
                task=task,
                level=data.get("level"),
                step_name=data.get("name", ""),
                by=by,
                comment=comment,
            )
            activation.execute()
            return decision
    except FlowLockFailed as exc:
        raise ApprovalConflict(BUSY) from exc


def quote_approval_finished(*, process, approved: bool) -> Quote:
    """Called by the flow when the last step approved or a step rejected:
    approved quotes are frozen; rejected ones go back to draft (the reason
    stays in the decisions). The submitter is told either way."""
    from crm.notifications import notify
    from projects.models import QuoteDecision

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
    from viewflow.workflow.exceptions import FlowLockFailed

    from projects.models import QuoteDecision
    from projects.quotes.flows import QuoteApprovalFlow

    visible = access_object(Quote, user=by, pk=quote.pk)
    process = quote_processes(visible).filter(finished__isnull=True).first()
    if process is None:
        raise ValidationError(NOT_WITHDRAWABLE)
    try:
        with QuoteApprovalFlow.lock(process.pk), transaction.atomic():
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
            QuoteApprovalFlow.instance.cancel(process)
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

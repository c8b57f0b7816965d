"""Every write of expense claims (EXP-2), atomic, with its history.

A claim is drafted and edited by its employee, submitted for the chain its
approval rules (document type "expense") require, and decided on the
approvals engine (``expenses.flows.ExpenseApprovalFlow``): the last approval
approves it, a rejection is final, a return sends it back to draft.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.models import DocumentType
from approvals.rules import approval_chain, chain_with_approvers
from approvals.services import approval_start, display_name
from crm.notifications import notify
from crm.scope import access_object, lock_object
from customers.models import Contact, Customer
from expenses import budgets
from expenses.models import (
    ClaimStatus,
    ExpenseApprovalProcess,
    ExpenseCategory,
    ExpenseClaim,
    ExpenseSettings,
    OverBudget,
)
from projects.models import Opportunity

NOT_ALLOWED = _("You may not do this with expense claims.")
NOT_YOURS = _("Only the employee who claims an expense may change or submit it.")
NOT_DRAFT = _("Only a draft claim can be changed or submitted.")
AMOUNT_POSITIVE = _("The amount must be more than zero.")
INACTIVE_CATEGORY = _("This category is no longer in use.")
OTHER_CUSTOMER = _("The deal or contact belongs to another customer than the one chosen.")
OWN_CLAIM = _("You cannot approve or reject an expense claim you submitted.")
REASON_REQUIRED = _("Give a reason when you reject or return an expense claim.")
STEP_CLOSED = _("This approval step is closed.")

EDITABLE = ("category", "amount", "spent_on", "description", "opportunity", "customer", "contact")


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({"amount": AMOUNT_POSITIVE}) from None
    if amount <= 0:
        raise ValidationError({"amount": AMOUNT_POSITIVE})
    return amount


def _links(*, by, opportunity, customer, contact) -> dict:
    """The linked records, each re-read within ``by``'s scope (404 outside);
    a deal or contact fills in its customer."""
    deal = (
        access_object(
            Opportunity.objects.all(), user=by, pk=getattr(opportunity, "pk", opportunity)
        )
        if opportunity
        else None
    )
    person = (
        access_object(Contact.objects.all(), user=by, pk=getattr(contact, "pk", contact))
        if contact
        else None
    )
    client = (
        access_object(Customer.objects.all(), user=by, pk=getattr(customer, "pk", customer))
        if customer
        else None
    )
    customer_ids = {pk for pk in (deal and deal.customer_id, person and person.customer_id) if pk}
    if client is not None:
        customer_ids.add(client.pk)
    if len(customer_ids) > 1:
        raise ValidationError(OTHER_CUSTOMER)
    if client is None and customer_ids:
        client = access_object(Customer.objects.all(), user=by, pk=customer_ids.pop())
    return {"opportunity": deal, "customer": client, "contact": person}


def _save(claim: ExpenseClaim, by, reason: str = "") -> None:
    claim._history_user = by
    if reason:
        claim._change_reason = reason
    claim.save()


@transaction.atomic
def claim_create(
    *,
    by,
    category: ExpenseCategory,
    amount,
    spent_on: date,
    description: str = "",
    opportunity: Opportunity | None = None,
    customer: Customer | None = None,
    contact: Contact | None = None,
) -> ExpenseClaim:
    """A draft claim of ``by`` (its employee)."""
    if not by.has_perm("expenses.add_expenseclaim"):
        raise PermissionDenied(NOT_ALLOWED)
    if not category.is_active:
        raise ValidationError({"category": INACTIVE_CATEGORY})
    claim = ExpenseClaim(
        number="",
        category=category,
        amount=_amount(amount),
        spent_on=spent_on,
        description=description,
        **_links(by=by, opportunity=opportunity, customer=customer, contact=contact),
    )
    claim.assign_owner(by)
    claim.full_clean(exclude=["number"])
    _save(claim, by)
    claim.number = f"FY{timezone.localdate():%Y}{claim.pk:06d}"
    claim.save(update_fields=["number"])
    return claim


def _lock_own_draft(claim, by) -> ExpenseClaim:
    locked = lock_object(ExpenseClaim.objects.all(), user=by, obj=claim)
    if locked.owner_id != by.pk:
        raise PermissionDenied(NOT_YOURS)
    if locked.status != ClaimStatus.DRAFT:
        raise ValidationError(NOT_DRAFT)
    return locked


@transaction.atomic
def claim_update(*, claim: ExpenseClaim, by, **fields) -> ExpenseClaim:
    """Change a draft claim (its employee only)."""
    locked = _lock_own_draft(claim, by)
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    category = fields.get("category")
    if category is not None and category.pk != locked.category_id and not category.is_active:
        raise ValidationError({"category": INACTIVE_CATEGORY})
    if "amount" in fields:
        fields["amount"] = _amount(fields["amount"])
    links = {
        key: fields.pop(key, getattr(locked, key)) for key in ("opportunity", "customer", "contact")
    }
    fields.update(_links(by=by, **links))
    for key, value in fields.items():
        setattr(locked, key, value)
    locked.full_clean()
    _save(locked, by)
    return locked


@transaction.atomic
def claim_submit(*, claim: ExpenseClaim, by) -> ExpenseClaim:
    """Ask for approval: the chain comes from the expense approval rules,
    each step with its approvers in the claim's branch (never the
    submitter), and the approval flow starts; no rule applying approves it
    at once. A step nobody in the branch can decide refuses the submission."""
    locked = _lock_own_draft(claim, by)
    if not by.has_perm("expenses.change_expenseclaim"):
        raise PermissionDenied(NOT_ALLOWED)
    chain = approval_chain(
        document_type=DocumentType.EXPENSE,
        amount=locked.amount,
        customer_type=locked.customer.type if locked.customer_id else "",
        branch_id=locked.branch_id,
    )
    over = budgets.over_budget_lines(locked)
    if over and ExpenseSettings.current().over_budget == OverBudget.BLOCK:
        line = over[0]
        raise ValidationError(
            budgets.OVER_BUDGET % {"budget": line, "used": line.used, "amount": line.amount}
        )
    locked.over_budget = bool(over)
    locked.approval_chain = chain_with_approvers(
        chain, branch_id=locked.branch_id, submitter_id=by.pk
    )
    locked.status = ClaimStatus.SUBMITTED if chain else ClaimStatus.APPROVED
    locked.submitted_at = timezone.now()
    _save(locked, by, gettext("Submitted") if chain else gettext("Approved automatically"))
    if chain:
        approval_start(document=locked, by=by)
    return locked


def claim_processes(claim: ExpenseClaim):
    """The approval runs (one per submission) of ``claim``, newest first."""
    return ExpenseApprovalProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(ExpenseClaim),
        artifact_object_id=claim.pk,
    ).order_by("-created", "-id")


def claim_approval_finished(*, process, outcome: str) -> ExpenseClaim:
    """The last step approved, or a step rejected or returned: the claim is
    approved, rejected (final) or a draft again; its employee hears of it."""
    claim = ExpenseClaim.objects.select_for_update(of=("self",)).get(pk=process.artifact_object_id)
    if claim.status != ClaimStatus.SUBMITTED:
        return claim
    last = (
        process.task_set.filter(flow_task_type="HUMAN", finished__isnull=False)
        .select_related("owner")
        .order_by("-finished", "-id")
        .first()
    )
    who = display_name(last.owner) if last else ""
    reason = (last.data or {}).get("comment", "") if last else ""
    if outcome == "approved":
        claim.status = ClaimStatus.APPROVED
        title = lambda: _("Expense claim %(claim)s was approved") % {"claim": claim}  # noqa: E731
        body = lambda: _("Amount %(amount)s") % {"amount": claim.amount}  # noqa: E731
    elif outcome == "returned":
        claim.status = ClaimStatus.DRAFT
        title = lambda: (  # noqa: E731
            _("Expense claim %(claim)s was returned for changes") % {"claim": claim}
        )
        body = lambda: _("%(user)s: %(reason)s") % {"user": who, "reason": reason}  # noqa: E731
    else:
        claim.status = ClaimStatus.REJECTED
        title = lambda: _("Expense claim %(claim)s was rejected") % {"claim": claim}  # noqa: E731
        body = lambda: _("%(user)s: %(reason)s") % {"user": who, "reason": reason}  # noqa: E731
    claim._history_user = last.owner if last else None
    claim._change_reason = gettext("Approved") if outcome == "approved" else reason
    claim.save(update_fields=["status", "updated_at"])
    notify(
        recipients=[(process.data or {}).get("submitted_by"), claim.owner_id],
        title=title,
        body=body,
        url=claim.get_absolute_url(),
    )
    return claim

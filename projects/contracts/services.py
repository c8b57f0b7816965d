"""Contracts (CON-1) and their execution plans (CON-2): milestones,
instalments that add up to the contract amount, execution records, overdue
instalments with dunning to-dos, and the ageing of receivables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from approvals.models import DocumentType
from approvals.rules import approval_chain, chain_with_approvers
from approvals.services import approval_start, display_name
from crm.money import format_money
from crm.notifications import notify
from crm.scope import access_object, lock_object
from projects.models import (
    Contract,
    ContractApprovalProcess,
    ContractMilestone,
    ContractStatus,
    ExecutionRecord,
    Instalment,
    MilestoneKind,
    Opportunity,
    Quote,
    QuoteStatus,
    Stage,
    Todo,
)
from projects.quotes.services import money

ZERO = Decimal("0")

DEAL_NOT_WON = _("Contracts are made from won deals or approved quotes.")
PLAN_NOT_SUMMING = _("The instalments add up to %(sum)s, not the contract amount %(amount)s.")
PLAN_FROZEN = _("The plan of a signed contract is changed by revising the contract.")
NO_INSTALMENTS = _("Plan at least one instalment.")
OVER_PAYMENT = _("Only %(outstanding)s is still due on this instalment.")
NON_POSITIVE = _("An amount must be greater than zero.")
NOT_ALLOWED = _("You are not allowed to do this.")
NOT_APPROVED = _("Only an approved contract can be signed.")


def _lock(contract: Contract | int, by) -> Contract:
    return lock_object(Contract.objects.all(), user=by, obj=contract)


def _save(contract: Contract, by, reason: str = "") -> None:
    contract._history_user = by
    if reason:
        contract._change_reason = reason
    contract.save()


@transaction.atomic
def contract_create(
    *,
    by,
    title: str,
    opportunity: Opportunity | None = None,
    quote: Quote | None = None,
    amount: Decimal | None = None,
    **fields,
) -> Contract:
    """A draft contract from a won deal, or from an approved quote (whose
    total is the default amount)."""
    if not by.has_perm("projects.add_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    if quote is not None:
        quote = access_object(Quote.objects.all(), user=by, pk=quote.pk)
        if quote.status not in (QuoteStatus.APPROVED, QuoteStatus.SENT):
            raise ValidationError(DEAL_NOT_WON)
        opportunity = quote.opportunity
        amount = quote.total if amount is None else amount
    deal = access_object(Opportunity.objects.all(), user=by, pk=opportunity.pk)
    if quote is None and deal.status != Stage.Kind.WON:
        raise ValidationError(DEAL_NOT_WON)
    contract = Contract(
        number="",
        title=title,
        customer_id=deal.customer_id,
        opportunity=deal,
        quote=quote,
        amount=money(amount if amount is not None else deal.expected_amount),
        **fields,
    )
    contract.assign_owner(deal.owner or by)
    contract.full_clean(exclude=["number"])
    _save(contract, by)
    contract.number = f"HT{timezone.localdate():%Y}{contract.pk:06d}"
    contract.save(update_fields=["number"])
    return contract


@transaction.atomic
def contract_set_plan(
    *,
    contract: Contract,
    by,
    milestones: Iterable[Mapping] = (),
    instalments: Iterable[Mapping],
) -> Contract:
    """Replace the execution plan. Instalments must add up to the amount."""
    locked = _lock(contract, by)
    if not by.has_perm("projects.change_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    if locked.status in (ContractStatus.SIGNED, ContractStatus.COMPLETED):
        raise ValidationError(PLAN_FROZEN)
    planned = [
        Instalment(
            contract=locked,
            sequence=number,
            due_on=item["due_on"],
            amount=money(Decimal(item["amount"])),
        )
        for number, item in enumerate(instalments, start=1)
    ]
    if not planned:
        raise ValidationError(NO_INSTALMENTS)
    if any(item.amount <= 0 for item in planned):
        raise ValidationError(NON_POSITIVE)
    total = sum((item.amount for item in planned), ZERO)
    if total != locked.amount:
        raise ValidationError(
            PLAN_NOT_SUMMING % {"sum": format_money(total), "amount": format_money(locked.amount)}
        )
    steps = [
        ContractMilestone(
            contract=locked,
            kind=MilestoneKind(item["kind"]),
            name=item.get("name") or str(MilestoneKind(item["kind"]).label),
            due_on=item["due_on"],
        )
        for item in milestones
    ]
    locked.instalments.all().delete()
    locked.milestones.all().delete()
    Instalment.objects.bulk_create(planned)
    ContractMilestone.objects.bulk_create(steps)
    _save(locked, by, gettext("Execution plan"))
    return locked


@transaction.atomic
def contract_submit(*, contract: Contract, by) -> Contract:
    """Ask for approval: the chain comes from the contract approval rules,
    each step with its approvers in the contract's branch (never the
    submitter), and the approval flow starts; no rule applying approves it
    at once. The plan must be complete; a step nobody in the branch can
    decide refuses the whole submission."""
    locked = _lock(contract, by)
    if not by.has_perm("projects.change_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    if locked.status != ContractStatus.DRAFT:
        raise ValidationError(_("Only a draft contract can be submitted."))
    planned = locked.instalments.aggregate(total=Sum("amount"))["total"]
    if planned is None:
        raise ValidationError(NO_INSTALMENTS)
    if planned != locked.amount:
        raise ValidationError(
            PLAN_NOT_SUMMING % {"sum": format_money(planned), "amount": format_money(locked.amount)}
        )
    chain = approval_chain(
        document_type=DocumentType.CONTRACT,
        amount=locked.amount,
        customer_type=locked.customer.type,
        branch_id=locked.branch_id,
    )
    locked.approval_chain = chain_with_approvers(
        chain, branch_id=locked.branch_id, submitter_id=by.pk
    )
    locked.status = ContractStatus.SUBMITTED if chain else ContractStatus.APPROVED
    _save(locked, by, gettext("Submitted") if chain else gettext("Approved automatically"))
    if chain:
        approval_start(document=locked, by=by)
    return locked


# --- Approval (CON-1) ------------------------------------------------------------------
#
# The approvals engine routes (``projects.contracts.flows.ContractApprovalFlow``)
# and decides (``approvals.services.approval_decide``); these write the contract.

OWN_CONTRACT = _("You cannot approve or reject a contract you submitted.")
REASON_REQUIRED = _("Give a reason when you reject a contract.")
STEP_CLOSED = _("This approval step is closed.")


def contract_processes(contract: Contract):
    """The approval runs (one per submission) of ``contract``, newest first."""
    return ContractApprovalProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(Contract),
        artifact_object_id=contract.pk,
    ).order_by("-created", "-id")


def contract_approval_finished(*, process, outcome: str) -> Contract:
    """The last step approved, or a step rejected or returned: the contract
    is approved (ready to sign) or back to draft; the submitter hears of it."""
    approved = outcome == "approved"
    contract = Contract.objects.select_for_update(of=("self",)).get(pk=process.artifact_object_id)
    if contract.status != ContractStatus.SUBMITTED:
        return contract
    last = (
        process.task_set.filter(flow_task_type="HUMAN", finished__isnull=False)
        .select_related("owner")
        .order_by("-finished", "-id")
        .first()
    )
    who = display_name(last.owner) if last else ""
    reason = (last.data or {}).get("comment", "") if last else ""
    if approved:
        contract.status = ContractStatus.APPROVED
        title = lambda: _("Contract %(contract)s was approved") % {"contract": contract}  # noqa: E731
        body = lambda: gettext("You can sign it now.")  # noqa: E731
    elif outcome == "returned":
        contract.status = ContractStatus.DRAFT
        title = lambda: (  # noqa: E731
            _("Contract %(contract)s was returned for changes") % {"contract": contract}
        )
        body = lambda: _("%(user)s: %(reason)s") % {"user": who, "reason": reason}  # noqa: E731
    else:
        contract.status = ContractStatus.DRAFT
        title = lambda: _("Contract %(contract)s was rejected") % {"contract": contract}  # noqa: E731
        body = lambda: _("%(user)s: %(reason)s") % {"user": who, "reason": reason}  # noqa: E731
    contract._history_user = last.owner if last else None
    contract._change_reason = gettext("Approved") if approved else reason
    contract.save(update_fields=["status", "updated_at"])
    notify(
        recipients=[(process.data or {}).get("submitted_by"), contract.owner_id],
        title=title,
        body=body,
        url=contract.get_absolute_url(),
    )
    return contract


@transaction.atomic
def contract_sign(*, contract: Contract, by, signed_on: date) -> Contract:
    locked = _lock(contract, by)
    if not by.has_perm("projects.change_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    if locked.status != ContractStatus.APPROVED:
        raise ValidationError(NOT_APPROVED)
    if not locked.instalments.exists():
        raise ValidationError(NO_INSTALMENTS)
    locked.status = ContractStatus.SIGNED
    locked.signed_on = signed_on
    _save(locked, by, gettext("Signed"))
    return locked


@transaction.atomic
def execution_record_add(*, contract: Contract, by, what: str, done_on: date, **fields):
    locked = _lock(contract, by)
    if not by.has_perm("projects.change_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    record = ExecutionRecord(contract=locked, by=by, what=what, done_on=done_on, **fields)
    if record.milestone_id and record.milestone.contract_id != locked.pk:
        raise ValidationError(_("This milestone belongs to another contract."))
    record.full_clean()
    record.save()
    if record.milestone_id and record.milestone.done_on is None:
        ContractMilestone.objects.filter(pk=record.milestone_id).update(done_on=done_on)
    return record


@transaction.atomic
def instalment_receive(*, instalment: Instalment, by, amount: Decimal) -> Instalment:
    """Record money received on an instalment, never more than is due."""
    _lock(instalment.contract_id, by)
    if not by.has_perm("projects.record_payment_contract"):
        raise PermissionDenied(NOT_ALLOWED)
    locked = Instalment.objects.select_for_update().get(pk=instalment.pk)
    amount = money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": NON_POSITIVE})
    if amount > locked.outstanding:
        raise ValidationError(
            {"amount": OVER_PAYMENT % {"outstanding": format_money(locked.outstanding)}}
        )
    locked.received_amount += amount
    if locked.received_amount == locked.amount:
        locked.overdue_since = None
        if locked.dunning_todo_id:
            Todo.objects.filter(pk=locked.dunning_todo_id, done_at__isnull=True).update(
                done_at=timezone.now()
            )
    locked.save(update_fields=["received_amount", "overdue_since"])
    contract = Contract.objects.get(pk=locked.contract_id)
    contract.collected_amount = (
        contract.instalments.aggregate(total=Sum("received_amount"))["total"] or ZERO
    )
    if contract.collected_amount == contract.amount and contract.status == ContractStatus.SIGNED:
        contract.status = ContractStatus.COMPLETED
    _save(contract, by, gettext("Payment received"))
    return locked


@transaction.atomic
def mark_overdue_instalments(*, today: date | None = None) -> int:
    """The daily dunning run (催款): instalments of signed contracts past due
    and not fully paid are marked overdue, and their contract's owner gets
    one to-do per instalment. Idempotent: running it twice changes nothing."""
    today = today or timezone.localdate()
    due = (
        Instalment.objects.select_for_update(of=("self",))
        .filter(
            contract__status=ContractStatus.SIGNED,
            due_on__lt=today,
            received_amount__lt=F("amount"),
            dunning_todo__isnull=True,
        )
        .select_related("contract")
    )
    count = 0
    for instalment in due:
        contract = instalment.contract
        todo = Todo.objects.create(
            opportunity_id=contract.opportunity_id,
            title=gettext("Dunning: %(contract)s instalment %(number)s, %(amount)s due %(due)s")
            % {
                "contract": contract.number,
                "number": instalment.sequence,
                "amount": format_money(instalment.outstanding),
                "due": instalment.due_on.isoformat(),
            },
            due_date=today,
            assignee_id=contract.owner_id,
            created_by_id=contract.owner_id,
        )
        instalment.overdue_since = instalment.due_on + timedelta(days=1)
        instalment.dunning_todo = todo
        instalment.save(update_fields=["overdue_since", "dunning_todo"])
        count += 1
    return count


#: Ageing buckets of receivables: (key, label, first day overdue, last day).
AGEING_BUCKETS = [
    ("current", _("Not yet due"), None, 0),
    ("d0_30", _("0–30 days"), 1, 30),
    ("d31_60", _("31–60 days"), 31, 60),
    ("d61_90", _("61–90 days"), 61, 90),
    ("d90_plus", _("More than 90 days"), 91, None),
]


def receivables_ageing(*, user, today: date | None = None) -> dict:
    """Outstanding instalment amounts of signed contracts in the user's
    scope, by how long they are overdue -- one aggregate query."""
    today = today or timezone.localdate()
    outstanding = F("amount") - F("received_amount")
    money_field = DecimalField(max_digits=14, decimal_places=2)
    aggregates = {}
    for key, _label, first, last in AGEING_BUCKETS:
        condition = Q()
        if first is None:
            condition &= Q(due_on__gte=today)
        else:
            condition &= Q(due_on__lte=today - timedelta(days=first))
        if last is not None and first is not None:
            condition &= Q(due_on__gte=today - timedelta(days=last))
        aggregates[key] = Sum(
            Case(When(condition, then=outstanding), default=Value(ZERO)),
            output_field=money_field,
        )
        aggregates[f"{key}_count"] = Count("pk", filter=condition)
    row = Instalment.objects.filter(
        contract__in=Contract.objects.visible_to(user).filter(status=ContractStatus.SIGNED),
        received_amount__lt=F("amount"),
    ).aggregate(**aggregates)
    return {
        "buckets": [
            {
                "key": key,
                "label": label,
                "amount": row[key] or ZERO,
                "count": row[f"{key}_count"],
            }
            for key, label, _first, _last in AGEING_BUCKETS
        ],
        "total": sum((row[key] or ZERO for key, *_rest in AGEING_BUCKETS), ZERO),
    }

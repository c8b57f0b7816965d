"""Contract approval (CON-1): submitting a contract stores the chain its
approval rules require (``projects.contracts.services.contract_submit``) and starts
``projects.contracts.flows.ContractApprovalFlow``, one step per level for the level's
approvers in the contract's branch, never the submitter. The last approval
makes the contract approved (the rep then signs it); a rejection sends it
back to draft with the reason. Decisions run under the flow lock: two
approvers deciding at once record one decision, the other is told who.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from projects.contracts import services as contracts
from projects.models import Contract, ContractStatus
from projects.quotes.services import (
    NO_APPROVER,
    ApprovalConflict,
    display_name,
    step_approvers,
)

NOT_YOUR_TASK = _("This approval step is not assigned to you.")
OWN_CONTRACT = _("You cannot approve or reject a contract you submitted.")
REASON_REQUIRED = _("Give a reason when you reject a contract.")
ALREADY_DECIDED = _("This step was already decided by %(user)s (%(decision)s).")
STEP_CLOSED = _("This approval step is closed.")
BUSY = _("Another approver is deciding this step right now; reload the page in a moment.")
DECISIONS = {"approved": _("approved"), "rejected": _("rejected")}


def contract_processes(contract: Contract):
    from django.contrib.contenttypes.models import ContentType

    from projects.models import ContractApprovalProcess

    return ContractApprovalProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(Contract),
        artifact_object_id=contract.pk,
    ).order_by("-created", "-id")


@transaction.atomic
def contract_flow_submit(*, contract: Contract, by) -> Contract:
    """Submit a draft contract: no rule applying approves it at once
    (``contract_submit``); otherwise each step gets its approvers, and the
    flow starts. A step nobody in the branch can decide refuses the whole
    submission."""
    from projects.contracts.flows import ContractApprovalFlow

    locked = contracts.contract_submit(contract=contract, by=by)
    if locked.status != ContractStatus.SUBMITTED:
        return locked
    steps = []
    for step in locked.approval_chain:
        approvers = list(
            step_approvers(step, branch_id=locked.branch_id, submitter_id=by.pk).values_list(
                "pk", flat=True
            )
        )
        if not approvers:
            raise ValidationError(NO_APPROVER % {"step": step.get("name", "")})
        steps.append({**step, "approvers": approvers})
    Contract.objects.filter(pk=locked.pk).update(approval_chain=steps)
    locked.approval_chain = steps
    ContractApprovalFlow.start.run(contract=locked, by=by)
    return locked


def current_step(process) -> int:
    """Index in the chain of the step a run is at: its approvals so far."""
    return process.task_set.filter(flow_task_type="HUMAN", data__outcome="approved").count()


def may_decide(user, task) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if task.owner_id is not None:
        return task.owner_id == user.pk
    return user.pk in (task.data or {}).get("approvers", [])


def contract_decide(*, task_id: int, by, approve: bool, comment: str = ""):
    """Approve or reject one step; refused with a clear message (nothing
    written) for a step not assigned to ``by``, the submitter's own contract,
    a rejection without a reason and a step already decided."""
    from viewflow.workflow.exceptions import FlowLockFailed
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from projects.contracts.flows import ContractApprovalFlow

    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError({"comment": REASON_REQUIRED})
    process_id = (
        Task.objects.filter(pk=task_id, process__flow_class=ContractApprovalFlow)
        .values_list("process_id", flat=True)
        .first()
    )
    if process_id is None:
        raise Task.DoesNotExist(task_id)
    try:
        with ContractApprovalFlow.lock(process_id), transaction.atomic():
            task = Task.objects.select_related("process", "owner").get(pk=task_id)
            if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                outcome = (task.data or {}).get("outcome")
                if outcome is None or task.owner_id is None:
                    raise ApprovalConflict(STEP_CLOSED)
                raise ApprovalConflict(
                    ALREADY_DECIDED
                    % {"user": display_name(task.owner), "decision": DECISIONS[outcome]}
                )
            contract = Contract.objects.select_for_update(of=("self",)).get(
                pk=task.process.artifact_object_id
            )
            if (task.process.data or {}).get("submitted_by") == by.pk:
                raise PermissionDenied(OWN_CONTRACT)
            if not may_decide(by, task):
                raise PermissionDenied(NOT_YOUR_TASK)
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(by)
            activation.start(None)
            task.data = {
                **(task.data or {}),
                "outcome": "approved" if approve else "rejected",
                "comment": comment,
                "decided_at": timezone.now().isoformat(),
            }
            task.save(update_fields=["data"])
            contract._history_user = by
            contract._change_reason = (
                gettext("Approved: %(step)s") % {"step": task.data.get("name", "")}
                if approve
                else gettext("Rejected: %(reason)s") % {"reason": comment}
            )
            activation.execute()
            return task
    except FlowLockFailed as exc:
        raise ApprovalConflict(BUSY) from exc


def contract_approval_finished(*, process, approved: bool) -> Contract:
    """The last step approved or a step rejected: the contract is approved
    (ready to sign) or back to draft; the submitter hears of it."""
    from crm.notifications import notify

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

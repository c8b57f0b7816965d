"""Deciding an approval step (WF-1): one service for every document.

The decision table says what each decision means; the document's flow (a
subclass of ``approvals.flows.ApprovalFlow``) says what its document is, who
submitted it and how a decision is recorded. Every decision runs under the
flow's ``select_for_update`` lock on the process row, so two approvers
deciding the same step at once are serialised: the first one's decision is
recorded, the second is told who decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.registry import flow_for

NOT_YOUR_TASK = _("This approval step is not assigned to you.")
ALREADY_DECIDED = _("This step was already decided by %(user)s (%(decision)s).")
BUSY = _("Another approver is deciding this step right now; reload the page in a moment.")
NOT_OFFERED = _("This decision is not offered for this document.")


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    RETURN = "return"


@dataclass(frozen=True)
class Rule:
    """What a decision does: the outcome stored on the step, whether it
    needs a reason, and whether the chain goes on to its next level."""

    outcome: str
    label: object
    needs_reason: bool
    continues: bool


#: The decision table. Approve moves to the next level (or approves the
#: document after the last); reject ends the approval, the document refused;
#: return ends it too, the document back with its submitter for changes.
DECISIONS: dict[Decision, Rule] = {
    Decision.APPROVE: Rule("approved", pgettext_lazy("approval", "Approved"), False, True),
    Decision.REJECT: Rule("rejected", pgettext_lazy("approval", "Rejected"), True, False),
    Decision.RETURN: Rule(
        "returned", pgettext_lazy("approval", "Returned for changes"), True, False
    ),
}
OUTCOME_LABELS = {rule.outcome: rule.label for rule in DECISIONS.values()}


class ApprovalConflict(Exception):
    """The step was decided or closed by someone else first."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = str(message)


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def may_decide(user, task) -> bool:
    """Whether ``user`` may decide the approval ``task``: its owner, or one of
    the step's approvers while nobody has taken it."""
    if user is None or not user.is_authenticated:
        return False
    if task.owner_id is not None:
        return task.owner_id == user.pk
    return user.pk in (task.data or {}).get("approvers", [])


def approved_steps(process) -> int:
    """Index in the chain of the step a run is at: its approvals so far."""
    return process.task_set.filter(flow_task_type="HUMAN", data__outcome="approved").count()


def approval_decide(*, task_id: int, by, decision: Decision | str, comment: str = "") -> Task:
    """Decide one approval step of any document. Refused with a clear
    message, nothing written, for a decision the flow does not offer, a
    missing reason, a step already decided or closed, the submitter's own
    document and a step not assigned to ``by``."""
    decision = Decision(decision)
    rule = DECISIONS[decision]
    comment = (comment or "").strip()
    found = Task.objects.filter(pk=task_id).select_related("process").first()
    if found is None or not getattr(found.process.flow_class, "is_approval_flow", False):
        raise Task.DoesNotExist(task_id)
    flow_class = found.process.flow_class
    flow = flow_class.instance
    if decision not in flow.decisions:
        raise ValidationError(NOT_OFFERED)
    if rule.needs_reason and not comment:
        raise ValidationError({"comment": flow.reason_required})
    try:
        with flow_class.lock(found.process_id), transaction.atomic():
            task = Task.objects.select_related("process", "owner").get(pk=task_id)
            if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                outcome = (task.data or {}).get("outcome")
                if outcome is None or task.owner_id is None:
                    raise ApprovalConflict(flow.step_closed)
                raise ApprovalConflict(
                    ALREADY_DECIDED
                    % {"user": display_name(task.owner), "decision": OUTCOME_LABELS[outcome]}
                )
            document = flow.lock_document(task.process)
            if (task.process.data or {}).get("submitted_by") == by.pk:
                raise PermissionDenied(flow.own_document)
            if not may_decide(by, task):
                raise PermissionDenied(NOT_YOUR_TASK)
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(by)
            activation.start(None)
            task.data = {
                **(task.data or {}),
                "outcome": rule.outcome,
                "comment": comment,
                "decided_at": timezone.now().isoformat(),
            }
            task.save(update_fields=["data"])
            flow.record_decision(
                task=task, document=document, by=by, outcome=rule.outcome, comment=comment
            )
            activation.execute()
            return task
    except FlowLockFailed as exc:
        raise ApprovalConflict(BUSY) from exc


def approval_start(*, document, by):
    """Start the approval run of a submitted ``document`` (its chain stored
    on it): the flow registered for its model takes it from here."""
    return flow_for(document).start.run(document=document, by=by)

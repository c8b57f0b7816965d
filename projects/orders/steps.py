"""The sales order workflow (ORD-1): submitting an order starts
``projects.orders.flows.SalesOrderFlow``; each of its steps (business review,
finance re-check, a delivery, a collection) is one task for the role's
people in the order's branch, never the order's owner.

Acting on a step runs under the flow's ``select_for_update`` lock on the
process row, then calls the step's service in ``projects.orders.services``. Two people
acting on the same step at once are serialised: the first one's action is
recorded, the second is told who acted. A refused action changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.registry import flow_for
from approvals.rules import step_approvers
from approvals.services import ApprovalConflict, display_name
from crm.notifications import notify
from projects.models import OrderStatus, SalesOrder, SalesOrderProcess
from projects.orders import services as orders

#: Step name → (role that does it, permission the service checks).
STEPS = {
    "business_review": ("business_secretary", "projects.review_salesorder"),
    "finance_review": ("finance", "projects.finance_check_salesorder"),
    "deliver": ("business_secretary", "projects.deliver_salesorder"),
    "collect": ("finance", "projects.collect_salesorder"),
}
STEP_TITLES = {
    "business_review": _("Business review"),
    "finance_review": _("Finance re-check"),
    "deliver": _("Record a delivery"),
    "collect": _("Record a collection"),
}

NO_ASSIGNEE = _("Nobody in this branch can do the step “%(step)s”; ask an administrator.")
NOT_YOUR_TASK = _("This order step is not assigned to you.")
OWN_ORDER = orders.OWN_ORDER
ALREADY_DONE = _("This step was already done by %(user)s (%(outcome)s).")
STEP_CLOSED = _("This order step is closed.")
BUSY = _("Someone else is working on this step right now; reload the page in a moment.")
WRONG_ACTION = _("This action does not belong to this step.")

OUTCOMES = {
    "approved": _("approved"),
    "rejected": _("sent back"),
    "delivered": _("delivery recorded"),
    "collected": _("collection recorded"),
}


def step_assignees(step: str, order: SalesOrder) -> list[int]:
    """Active people of the step's role in the order's branch, not its owner."""
    role, _permission = STEPS[step]
    return list(
        step_approvers(
            {"role": role, "user": None}, branch_id=order.branch_id, submitter_id=order.owner_id
        ).values_list("pk", flat=True)
    )


def may_act(user, task) -> bool:
    """The task's owner, or one of its assignees while nobody has taken it."""
    if user is None or not user.is_authenticated:
        return False
    if task.owner_id is not None:
        return task.owner_id == user.pk
    return user.pk in (task.data or {}).get("assignees", [])


def order_processes(order: SalesOrder):
    """The flow runs (one per submission) of ``order``, newest first."""
    return SalesOrderProcess.objects.filter(
        artifact_content_type=ContentType.objects.get_for_model(SalesOrder),
        artifact_object_id=order.pk,
    ).order_by("-created", "-id")


@transaction.atomic
def order_flow_submit(*, order: SalesOrder, by) -> SalesOrder:
    """Submit a draft order and start its flow. Refused when the branch has
    nobody for the business review or the finance re-check."""
    locked = orders.order_submit(order=order, by=by)
    for step in ("business_review", "finance_review"):
        if not step_assignees(step, locked):
            raise ValidationError(NO_ASSIGNEE % {"step": STEP_TITLES[step]})
    flow_for(SalesOrder).start.run(order=locked, by=by)
    return locked


def _run_step(name: str, order: SalesOrder, by, action: str, params: Mapping) -> dict:
    if name in ("business_review", "finance_review"):
        if action not in ("approve", "reject"):
            raise ValidationError(WRONG_ACTION)
        service = (
            orders.order_business_review
            if name == "business_review"
            else orders.order_finance_review
        )
        reason = (params.get("reason") or "").strip()
        service(order=order, by=by, approve=action == "approve", reason=reason)
        return {"outcome": "approved" if action == "approve" else "rejected", "reason": reason}
    if name == "deliver":
        if action != "deliver":
            raise ValidationError(WRONG_ACTION)
        delivery = orders.order_deliver(
            order=order,
            by=by,
            quantities=params.get("quantities") or {},
            on=params.get("on"),
            note=params.get("note", ""),
        )
        return {"outcome": "delivered", "delivery": delivery.pk, "amount": str(delivery.amount)}
    if name == "collect":
        if action != "collect":
            raise ValidationError(WRONG_ACTION)
        collection = orders.order_collect(
            order=order,
            by=by,
            amount=params.get("amount") or Decimal("0"),
            on=params.get("on"),
            reference=params.get("reference", ""),
        )
        return {
            "outcome": "collected",
            "collection": collection.pk,
            "amount": str(collection.amount),
        }
    raise ValidationError(WRONG_ACTION)  # pragma: no cover - every human step is above


def order_task_act(*, task_id: int, by, action: str, **params):
    """Do one step of an order's flow: ``approve`` / ``reject`` (with a
    ``reason``) a review, ``deliver`` (``quantities`` per line id, ``on``,
    ``note``) or ``collect`` (``amount``, ``on``, ``reference``). Refused with
    a clear message, nothing written, for a step not assigned to ``by``, for
    the owner's own order, for bad input and for a step already done."""
    flow_class = flow_for(SalesOrder)
    process_id = (
        Task.objects.filter(pk=task_id, process__flow_class=flow_class)
        .values_list("process_id", flat=True)
        .first()
    )
    if process_id is None:
        raise Task.DoesNotExist(task_id)
    try:
        with flow_class.lock(process_id), transaction.atomic():
            task = Task.objects.select_related("process", "owner").get(pk=task_id)
            if task.status not in (STATUS.NEW, STATUS.ASSIGNED):
                outcome = (task.data or {}).get("outcome")
                if task.owner_id is None or outcome is None:
                    raise ApprovalConflict(STEP_CLOSED)
                raise ApprovalConflict(
                    ALREADY_DONE
                    % {"user": display_name(task.owner), "outcome": OUTCOMES.get(outcome, "")}
                )
            order = SalesOrder.objects.get(pk=task.process.artifact_object_id)
            if order.owner_id == by.pk:
                raise PermissionDenied(OWN_ORDER)
            if not may_act(by, task):
                raise PermissionDenied(NOT_YOUR_TASK)
            result = _run_step(task.flow_task.name, order, by, action, params)
            activation = task.flow_task.activation_class(task)
            if task.status == STATUS.NEW:
                activation.assign(by)
            activation.start(None)
            task.data = {**(task.data or {}), **result}
            task.save(update_fields=["data"])
            activation.execute()
            return task
    except FlowLockFailed as exc:
        raise ApprovalConflict(BUSY) from exc


def order_flow_finished_rejected(*, process) -> None:
    """The flow ends after a review sent the order back: the rep hears why."""
    order = SalesOrder.objects.get(pk=process.artifact_object_id)
    reason = order.rejection_reason
    notify(
        recipients=[order.owner_id, (process.data or {}).get("submitted_by")],
        title=lambda: _("Order %(order)s was sent back") % {"order": order},
        body=lambda: reason,
        url=order.get_absolute_url(),
    )


def order_flow_completed(*, process) -> None:
    order = SalesOrder.objects.get(pk=process.artifact_object_id)
    if order.status == OrderStatus.COMPLETED:
        notify(
            recipients=[order.owner_id],
            title=lambda: _("Order %(order)s is completed") % {"order": order},
            url=order.get_absolute_url(),
        )

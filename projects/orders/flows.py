"""The sales order flow (ORD-1, viewflow): business review by a business
secretary of the order's branch → finance re-check → partial deliveries →
partial collections → completed; a review that sends the order back ends the
run and the rep resubmits. The flow only routes: every write is a service
in ``projects.orders.steps``, and each step's creation notifies its
assignees (WF-1)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import path
from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow, lock

from approvals.flows import StepIndexView, task_url
from approvals.registry import register_flow
from crm.money import format_money
from crm.notifications import notify
from projects.models import SalesOrder, SalesOrderProcess
from projects.orders.steps import (
    STEP_TITLES,
    STEPS,
    may_act,
    order_flow_completed,
    order_flow_finished_rejected,
    step_assignees,
)
from projects.orders.views import OrderTaskView

# --- Sales orders (ORD-1) -------------------------------------------------------------


class OrderStep(flow.View):
    """One step of an order. Who may act is in ``task.data["assignees"]``
    (the role's people in the order's branch, computed when the task is
    created), so the same role acts only in its own branch."""

    index_view_class = StepIndexView

    def can_assign(self, user, task):

        return task.owner_id is None and may_act(user, task)

    def can_execute(self, user, task):

        return may_act(user, task)

    @property
    def view_path(self):
        # The step view takes the flow lock itself (``order_task_act``).
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )


def order_step(title, permission: str, then) -> OrderStep:
    """An order step for ``permission``'s people in the order's branch, then ``then``."""
    return (
        OrderStep(this.step_view)
        .Annotation(title=title, summary_template="{{ process.order }}")
        .Permission(permission)
        .Assign(this.sole_assignee)
        .onCreate(this.step_created)
        .Next(then)
    )


class SalesOrderFlow(flow.Flow):
    """Sales order

    Business review → finance re-check → deliveries until everything is
    delivered → collections until everything is paid. A review that sends
    the order back ends the run; the rep resubmits (a new run).
    """

    process_class = SalesOrderProcess
    document_model = SalesOrder
    lock_impl = lock.select_for_update_lock
    process_title = _("Sales order")
    process_summary_template = "{{ process.order }}"

    start = flow.StartHandle(this.start_process).Next(
        this.business_review, task_data=this.step_data
    )

    business_review = order_step(
        _("Business review"), "projects.review_salesorder", this.check_business_review
    )
    check_business_review = (
        flow.If(this.is_finance_review)
        .Annotation(title=_("Approved by the business review?"))
        .Then(this.finance_review, task_data=this.step_data)
        .Else(this.sent_back)
    )
    finance_review = order_step(
        _("Finance re-check"), "projects.finance_check_salesorder", this.check_finance_review
    )
    check_finance_review = (
        flow.If(this.is_delivery)
        .Annotation(title=_("Approved by finance?"))
        .Then(this.deliver, task_data=this.step_data)
        .Else(this.sent_back)
    )
    deliver = order_step(
        _("Record a delivery"), "projects.deliver_salesorder", this.check_delivered
    )
    check_delivered = (
        flow.If(this.is_delivery)
        .Annotation(title=_("Still to deliver?"))
        .Then(this.deliver, task_data=this.step_data)
        .Else(this.check_collection)
    )
    check_collection = (
        flow.If(this.is_collection)
        .Annotation(title=_("Still to collect?"))
        .Then(this.collect, task_data=this.step_data)
        .Else(this.completed)
    )
    collect = order_step(
        _("Record a collection"), "projects.collect_salesorder", this.check_collection
    )
    completed = flow.Function(this.finish_completed).Annotation(title=_("Completed")).Next(this.end)
    sent_back = (
        flow.Function(this.finish_sent_back).Annotation(title=_("Back to the rep")).Next(this.end)
    )
    end = flow.End()

    # --- permissions ---------------------------------------------------------

    def has_view_permission(self, user, obj=None):
        """The flow's pages for whoever may see orders; one run only for
        those who see its order or have a task in it."""
        if not (user.is_authenticated and user.has_perm("projects.view_salesorder")):
            return False
        if obj is None:
            return True
        if SalesOrder.objects.visible_to(user).filter(pk=obj.artifact_object_id).exists():
            return True
        return (
            obj.task_set.filter(owner=user).exists()
            or obj.task_set.filter(status__in=["NEW"], data__assignees__contains=[user.pk]).exists()
        )

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser

    # --- node callbacks ------------------------------------------------------

    @property
    def step_view(self):
        return OrderTaskView.as_view()

    def start_process(self, activation, *, order, by):
        activation.process.artifact = order
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        process = activation.process.coerced
        order = process.order
        status_step = {
            "business_review": "business_review",
            "finance_review": "finance_review",
            "delivery": "deliver",
            "collection": "collect",
        }
        step = status_step.get(order.status)
        assignees = step_assignees(step, order) if step in STEPS else []
        return {"step": step, "assignees": assignees}

    def sole_assignee(self, activation):
        assignees = activation.task.data.get("assignees", [])
        if len(assignees) == 1:
            return get_user_model().objects.get(pk=assignees[0])
        return None

    def step_created(self, activation):
        """WF-1: whoever may act on the new step hears of it -- once per
        kind of step, not again for each further partial delivery or payment."""
        task = activation.task
        process = activation.process.coerced
        repeated = process.task_set.filter(flow_task=task.flow_task).exclude(pk=task.pk).exists()
        if repeated:
            return
        order = process.order
        step = task.flow_task.name
        notify(
            recipients=[task.owner_id] if task.owner_id else task.data.get("assignees", []),
            title=lambda: (
                _("Order %(order)s waits for you: %(step)s")
                % {"order": order, "step": STEP_TITLES[step]}
            ),
            body=lambda: (
                _("%(customer)s, total %(total)s")
                % {"customer": order.customer, "total": format_money(order.total)}
            ),
            url=task_url(task),
        )

    def _status(self, activation) -> str:
        return (
            SalesOrder.objects.filter(pk=activation.process.artifact_object_id)
            .values_list("status", flat=True)
            .get()
        )

    def is_finance_review(self, activation) -> bool:
        return self._status(activation) == "finance_review"

    def is_delivery(self, activation) -> bool:
        return self._status(activation) == "delivery"

    def is_collection(self, activation) -> bool:
        return self._status(activation) == "collection"

    def finish_completed(self, activation):
        order_flow_completed(process=activation.process)

    def finish_sent_back(self, activation):
        order_flow_finished_rejected(process=activation.process)


#: viewflow names a flow's URLs after its class ("salesorder"), which are the
#: order pages' URLs; the flow's own pages live under "orderflow".
SalesOrderFlow.app_name = "orderflow"

register_flow(SalesOrder, SalesOrderFlow)

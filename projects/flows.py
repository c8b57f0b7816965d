"""Approval flows of the projects app (viewflow).

``QuoteApprovalFlow`` (QUO-3): a submitted quote passes one approval step per
level of the chain its approval rules require (``projects.quotes.quote_chain``),
in level order. Each step is one task for the step's approvers (the role in the
quote's branch, never the submitter): assigned outright when there is one
approver, otherwise open to each of them until one decides. A rejection ends
the flow and sends the quote back to draft with the reason; the last approval
freezes it. The flow only routes: every write is a service in
``projects.quotes``, and each step's creation notifies its approvers (WF-1).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import get_resolver, path
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow import this
from viewflow.workflow import flow, lock

from crm.notifications import notify
from projects import quotes
from projects.models import (
    ContractApprovalProcess,
    QuoteApprovalProcess,
    QuoteDecision,
    SalesOrderProcess,
)


def task_url(task) -> str:
    """The link of an approval step (what the inbox and e-mails point to)."""
    get_resolver().url_patterns  # noqa: B018 - mounts the flow's URLs on first use
    return task.flow_task.reverse("index", args=[task.process_id, task.pk])


class StepIndexView(generic.View):
    """A step's link (inbox, e-mail) always opens its decision page, which
    says why when the user may not decide it."""

    def get(self, request, *args, **kwargs):
        from projects.selectors_quotes import access_task

        activation = request.activation
        access_task(user=request.user, process_pk=activation.process.pk, task_pk=activation.task.pk)
        return redirect(
            activation.flow_task.reverse(
                "execute", args=[activation.process.pk, activation.task.pk]
            )
        )


class ApprovalStep(flow.View):
    """One approval step. Who may decide it is in ``task.data["approvers"]``
    (computed from the rules when the task is created), not in a Django
    permission: the same role approves only in its own branch."""

    index_view_class = StepIndexView

    def can_assign(self, user, task):
        return task.owner_id is None and quotes.may_decide(user, task)

    def can_execute(self, user, task):
        return quotes.may_decide(user, task)

    @property
    def view_path(self):
        # The decision view takes the flow lock itself (through the
        # ``quote_decide`` service), so it is not wrapped in viewflow's
        # ``wrap_view``, which would refuse a second approver with a bare 403.
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )


class QuoteApprovalFlow(flow.Flow):
    """Quote approval

    Each level of the approval chain decides in turn; a rejection returns the
    quote to draft, the last approval freezes it.
    """

    process_class = QuoteApprovalProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Quote approval")
    process_summary_template = "{{ process.quote }}"

    start = flow.StartHandle(this.start_process).Next(this.approve, task_data=this.step_data)

    approve = (
        ApprovalStep(this.decision_view)
        .Annotation(title=_("Approve quote"), summary_template="{{ task.data.name }}")
        .Permission("projects.approve_quote")
        .Assign(this.sole_approver)
        .onCreate(this.step_created)
        .Next(this.check_decision)
    )

    check_decision = (
        flow.If(this.was_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.check_more)
        .Else(this.rejected)
    )

    check_more = (
        flow.If(this.has_next_step)
        .Annotation(title=_("More levels?"))
        .Then(this.approve, task_data=this.step_data)
        .Else(this.approved)
    )

    approved = flow.Function(this.finish_approved).Annotation(title=_("Approved")).Next(this.end)
    rejected = (
        flow.Function(this.finish_rejected).Annotation(title=_("Back to draft")).Next(this.end)
    )
    end = flow.End()

    # --- permissions ---------------------------------------------------------

    def has_view_permission(self, user, obj=None):
        """The flow's pages are open to whoever may see quotes; one process
        only to those who see its quote or have a task in it."""
        if not (user.is_authenticated and user.has_perm("projects.view_quote")):
            return False
        if obj is None:
            return True
        from projects.models import Quote

        if Quote.objects.visible_to(user).filter(pk=obj.artifact_object_id).exists():
            return True
        return (
            obj.task_set.filter(owner=user).exists()
            or obj.task_set.filter(status__in=["NEW"], data__approvers__contains=[user.pk]).exists()
        )

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser

    # --- node callbacks ------------------------------------------------------

    @property
    def decision_view(self):
        from projects.views_quotes import QuoteDecisionView

        return QuoteDecisionView.as_view()

    def start_process(self, activation, *, quote, by):
        activation.process.artifact = quote
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        process = activation.process.coerced
        quote = process.quote
        index = quotes.current_step(process)
        step = quote.approval_chain[index]
        approvers = list(
            quotes.step_approvers(
                step, branch_id=quote.branch_id, submitter_id=quote.submitted_by_id
            ).values_list("pk", flat=True)
        ) or step.get("approvers", [])
        return {
            "step": index,
            "steps": len(quote.approval_chain),
            "level": step["level"],
            "name": step["name"],
            "role": step.get("role"),
            "approvers": approvers,
        }

    def sole_approver(self, activation):
        approvers = activation.task.data.get("approvers", [])
        if len(approvers) == 1:
            return get_user_model().objects.get(pk=approvers[0])
        return None

    def step_created(self, activation):
        """WF-1: whoever may decide the new step hears of it."""
        task = activation.task
        quote = activation.process.coerced.quote
        url = task_url(task)
        notify(
            recipients=[task.owner_id] if task.owner_id else task.data.get("approvers", []),
            title=lambda: _("Quote %(quote)s waits for your approval") % {"quote": quote},
            body=lambda: (
                _("%(customer)s, total %(total)s, level %(level)s: %(step)s")
                % {
                    "customer": quote.customer,
                    "total": quote.total,
                    "level": task.data.get("level"),
                    "step": task.data.get("name"),
                }
            ),
            url=url,
        )

    def _last_decision(self, activation):
        return (
            QuoteDecision.objects.filter(process_id=activation.process.pk)
            .exclude(kind=QuoteDecision.Kind.SUBMITTED)
            .order_by("-at", "-id")
            .first()
        )

    def was_approved(self, activation) -> bool:
        last = self._last_decision(activation)
        return last is not None and last.kind == QuoteDecision.Kind.APPROVED

    def has_next_step(self, activation) -> bool:
        process = activation.process.coerced
        return quotes.current_step(process) < len(process.quote.approval_chain)

    def finish_approved(self, activation):
        quotes.quote_approval_finished(process=activation.process, approved=True)

    def finish_rejected(self, activation):
        quotes.quote_approval_finished(process=activation.process, approved=False)


# --- Sales orders (ORD-1) -------------------------------------------------------------


class OrderStepIndexView(generic.View):
    """A step's link (inbox, e-mail) opens its page, which says why when the
    user may not act on it."""

    def get(self, request, *args, **kwargs):
        from projects.selectors_orders import access_order_task

        activation = request.activation
        access_order_task(
            user=request.user, process_pk=activation.process.pk, task_pk=activation.task.pk
        )
        return redirect(
            activation.flow_task.reverse(
                "execute", args=[activation.process.pk, activation.task.pk]
            )
        )


class OrderStep(flow.View):
    """One step of an order. Who may act is in ``task.data["assignees"]``
    (the role's people in the order's branch, computed when the task is
    created), so the same role acts only in its own branch."""

    index_view_class = OrderStepIndexView

    def can_assign(self, user, task):
        from projects.order_flow import may_act

        return task.owner_id is None and may_act(user, task)

    def can_execute(self, user, task):
        from projects.order_flow import may_act

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
        from projects.models import SalesOrder

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
        from projects.views_orders import OrderTaskView

        return OrderTaskView.as_view()

    def start_process(self, activation, *, order, by):
        activation.process.artifact = order
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        from projects.order_flow import STEPS, step_assignees

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
        from projects.order_flow import STEP_TITLES

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
                % {"customer": order.customer, "total": order.total}
            ),
            url=task_url(task),
        )

    def _status(self, activation) -> str:
        from projects.models import SalesOrder

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
        from projects.order_flow import order_flow_completed

        order_flow_completed(process=activation.process)

    def finish_sent_back(self, activation):
        from projects.order_flow import order_flow_finished_rejected

        order_flow_finished_rejected(process=activation.process)


#: viewflow names a flow's URLs after its class ("salesorder"), which are the
#: order pages' URLs; the flow's own pages live under "orderflow".
SalesOrderFlow.app_name = "orderflow"


# --- Contracts (CON-1) ----------------------------------------------------------------


class ContractStepIndexView(generic.View):
    def get(self, request, *args, **kwargs):
        from projects.selectors_orders import access_contract_task

        activation = request.activation
        access_contract_task(
            user=request.user, process_pk=activation.process.pk, task_pk=activation.task.pk
        )
        return redirect(
            activation.flow_task.reverse(
                "execute", args=[activation.process.pk, activation.task.pk]
            )
        )


class ContractApprovalStep(flow.View):
    """One level of a contract's approval; its approvers are in
    ``task.data["approvers"]`` (from the rules, in the contract's branch)."""

    index_view_class = ContractStepIndexView

    def can_assign(self, user, task):
        from projects.contract_flow import may_decide

        return task.owner_id is None and may_decide(user, task)

    def can_execute(self, user, task):
        from projects.contract_flow import may_decide

        return may_decide(user, task)

    @property
    def view_path(self):
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )


class ContractApprovalFlow(flow.Flow):
    """Contract approval

    Each level of the contract's approval chain decides in turn; a rejection
    returns the contract to draft, the last approval makes it ready to sign.
    """

    process_class = ContractApprovalProcess
    lock_impl = lock.select_for_update_lock
    process_title = _("Contract approval")
    process_summary_template = "{{ process.contract }}"

    start = flow.StartHandle(this.start_process).Next(this.approve, task_data=this.step_data)

    approve = (
        ContractApprovalStep(this.decision_view)
        .Annotation(title=_("Approve contract"), summary_template="{{ task.data.name }}")
        .Permission("projects.approve_contract")
        .Assign(this.sole_approver)
        .onCreate(this.step_created)
        .Next(this.check_decision)
    )
    check_decision = (
        flow.If(this.was_approved)
        .Annotation(title=_("Approved?"))
        .Then(this.check_more)
        .Else(this.rejected)
    )
    check_more = (
        flow.If(this.has_next_step)
        .Annotation(title=_("More levels?"))
        .Then(this.approve, task_data=this.step_data)
        .Else(this.approved)
    )
    approved = flow.Function(this.finish_approved).Annotation(title=_("Approved")).Next(this.end)
    rejected = (
        flow.Function(this.finish_rejected).Annotation(title=_("Back to draft")).Next(this.end)
    )
    end = flow.End()

    def has_view_permission(self, user, obj=None):
        if not (user.is_authenticated and user.has_perm("projects.view_contract")):
            return False
        if obj is None:
            return True
        from projects.models import Contract

        if Contract.objects.visible_to(user).filter(pk=obj.artifact_object_id).exists():
            return True
        return (
            obj.task_set.filter(owner=user).exists()
            or obj.task_set.filter(status__in=["NEW"], data__approvers__contains=[user.pk]).exists()
        )

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser

    @property
    def decision_view(self):
        from projects.views_orders import ContractDecisionView

        return ContractDecisionView.as_view()

    def start_process(self, activation, *, contract, by):
        activation.process.artifact = contract
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        from projects.contract_flow import current_step

        process = activation.process.coerced
        chain = process.contract.approval_chain
        index = current_step(process)
        step = chain[index]
        return {
            "step": index,
            "steps": len(chain),
            "level": step["level"],
            "name": step["name"],
            "role": step.get("role"),
            "approvers": step.get("approvers", []),
        }

    def sole_approver(self, activation):
        approvers = activation.task.data.get("approvers", [])
        if len(approvers) == 1:
            return get_user_model().objects.get(pk=approvers[0])
        return None

    def step_created(self, activation):
        task = activation.task
        contract = activation.process.coerced.contract
        notify(
            recipients=[task.owner_id] if task.owner_id else task.data.get("approvers", []),
            title=lambda: (
                _("Contract %(contract)s waits for your approval") % {"contract": contract}
            ),
            body=lambda: (
                _("%(customer)s, amount %(amount)s, level %(level)s: %(step)s")
                % {
                    "customer": contract.customer,
                    "amount": contract.amount,
                    "level": task.data.get("level"),
                    "step": task.data.get("name"),
                }
            ),
            url=task_url(task),
        )

    def _last(self, activation):
        return (
            activation.process.task_set.filter(flow_task_type="HUMAN", finished__isnull=False)
            .order_by("-finished", "-id")
            .first()
        )

    def was_approved(self, activation) -> bool:
        last = self._last(activation)
        return last is not None and (last.data or {}).get("outcome") == "approved"

    def has_next_step(self, activation) -> bool:
        from projects.contract_flow import current_step

        process = activation.process.coerced
        return current_step(process) < len(process.contract.approval_chain)

    def finish_approved(self, activation):
        from projects.contract_flow import contract_approval_finished

        contract_approval_finished(process=activation.process, approved=True)

    def finish_rejected(self, activation):
        from projects.contract_flow import contract_approval_finished

        contract_approval_finished(process=activation.process, approved=False)

"""Approval flows of the projects app (viewflow).

``QuoteApprovalFlow`` (QUO-3): a submitted quote passes one approval step per
level of the chain its approval rules require (``projects.quotes.services.quote_chain``),
in level order. Each step is one task for the step's approvers (the role in the
quote's branch, never the submitter): assigned outright when there is one
approver, otherwise open to each of them until one decides. A rejection ends
the flow and sends the quote back to draft with the reason; the last approval
freezes it. The flow only routes: every write is a service in
``projects.quotes.services``, and each step's creation notifies its approvers (WF-1).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow import this
from viewflow.workflow import flow, lock

from approvals.flows import task_url
from crm.notifications import notify
from projects.models import (
    ContractApprovalProcess,
)

# --- Contracts (CON-1) ----------------------------------------------------------------


class ContractStepIndexView(generic.View):
    def get(self, request, *args, **kwargs):
        from projects.contracts.selectors import access_contract_task

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
        from projects.contracts.approval import may_decide

        return task.owner_id is None and may_decide(user, task)

    def can_execute(self, user, task):
        from projects.contracts.approval import may_decide

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
        from projects.contracts.views import ContractDecisionView

        return ContractDecisionView.as_view()

    def start_process(self, activation, *, contract, by):
        activation.process.artifact = contract
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        from projects.contracts.approval import current_step

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
        from projects.contracts.approval import current_step

        process = activation.process.coerced
        return current_step(process) < len(process.contract.approval_chain)

    def finish_approved(self, activation):
        from projects.contracts.approval import contract_approval_finished

        contract_approval_finished(process=activation.process, approved=True)

    def finish_rejected(self, activation):
        from projects.contracts.approval import contract_approval_finished

        contract_approval_finished(process=activation.process, approved=False)

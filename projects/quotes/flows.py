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
    QuoteApprovalProcess,
    QuoteDecision,
)
from projects.quotes import services as quotes


class StepIndexView(generic.View):
    """A step's link (inbox, e-mail) always opens its decision page, which
    says why when the user may not decide it."""

    def get(self, request, *args, **kwargs):
        from projects.quotes.selectors import access_task

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
        from projects.quotes.views import QuoteDecisionView

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

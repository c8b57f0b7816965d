"""The base approval flow (viewflow) that every document's approval reuses.

A submitted document passes one approval step per level of the chain its
approval rules require (stored on the document as ``approval_chain``), in
level order. Each step is one task for the step's approvers (the role in the
document's branch, never the submitter): assigned outright when there is one
approver, otherwise open to each of them until one takes it. The decision
table (``approvals.services.DECISIONS``) says what a decision does; the last
approval finishes the document as approved, a rejection or a return sends it
back. The flow only routes: every write is a service, and each step's
creation notifies its approvers.

A document's flow subclasses ``ApprovalFlow``, names its document model, its
process proxy, its decision view and permission, its messages, and
implements ``approval_finished`` (and, if it keeps its own decision log,
``record_decision``)::

    class QuoteApprovalFlow(ApprovalFlow, flow.Flow):
        process_class = QuoteApprovalProcess
        document_model = Quote
        view_permission = "projects.view_quote"
        decision_view_class = QuoteDecisionView
        approve = approval_step(title=_("Approve quote"), permission="projects.approve_quote")
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import redirect
from django.urls import get_resolver, path
from django.utils.translation import gettext_lazy as _
from django.views import generic
from viewflow import this
from viewflow.workflow import flow, lock

from approvals import selectors
from approvals.registry import register_flow
from approvals.rules import step_approvers
from approvals.services import Decision, approved_steps, may_decide
from crm.notifications import notify


def task_url(task) -> str:
    """The link of a workflow step (what the inbox and e-mails point to)."""
    get_resolver().url_patterns  # noqa: B018 - mounts the flows' URLs on first use
    return task.flow_task.reverse("index", args=[task.process_id, task.pk])


class StepIndexView(generic.View):
    """A step's link (inbox, e-mail) always opens its page, which says why
    when the user may not act on it; 404 for a step the user may not see."""

    def get(self, request, *args, **kwargs):
        activation = request.activation
        selectors.access_task(
            model=activation.flow_task.flow_class.document_model,
            user=request.user,
            process_pk=activation.process.pk,
            task_pk=activation.task.pk,
        )
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
        return task.owner_id is None and may_decide(user, task)

    def can_execute(self, user, task):
        return may_decide(user, task)

    @property
    def view_path(self):
        # The decision view takes the flow lock itself (through
        # ``approval_decide``), so it is not wrapped in viewflow's
        # ``wrap_view``, which would refuse a second approver with a bare 403.
        return path(
            f"<int:process_pk>/{self.name}/<int:task_pk>/execute/", self.view, name="execute"
        )


def approval_step(*, title, permission: str) -> ApprovalStep:
    """The approval step of a flow: its title in the process chart and the
    permission viewflow shows for it."""
    return (
        ApprovalStep(this.decision_view)
        .Annotation(title=title, summary_template="{{ task.data.name }}")
        .Permission(permission)
        .Assign(this.sole_approver)
        .onCreate(this.step_created)
        .Next(this.check_decision)
    )


def _no_decision_view(request, *args, **kwargs):
    raise Http404("This flow has no decision view.")


class ApprovalFlow:
    """The approval graph and its callbacks, mixed into a document's flow
    (``class QuoteApprovalFlow(ApprovalFlow, flow.Flow)``). It is no flow
    itself: viewflow binds a flow's nodes to the class that declares them,
    so each document's flow binds its own copies of these."""

    is_approval_flow = True
    lock_impl = lock.select_for_update_lock

    #: Set by each document's flow.
    document_model = None
    view_permission = ""
    decision_view_class = None
    document_related = ("customer", "owner")
    decisions = (Decision.APPROVE, Decision.REJECT)
    own_document = _("You cannot approve or reject a document you submitted.")
    reason_required = _("Give a reason when you reject a document.")
    step_closed = _("This approval step is closed.")

    start = flow.StartHandle(this.start_process).Next(this.approve, task_data=this.step_data)
    approve = approval_step(title=_("Approve"), permission="approvals.view_approvalrule")
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

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if cls.document_model is not None:
            register_flow(cls.document_model, cls)

    # --- what each document's flow says ------------------------------------------

    def step_title(self, document):  # pragma: no cover - every flow defines it
        raise NotImplementedError

    def step_body(self, document, task):  # pragma: no cover
        raise NotImplementedError

    def approval_finished(self, *, process, outcome: str):  # pragma: no cover
        raise NotImplementedError

    def record_decision(self, *, task, document, by, outcome: str, comment: str) -> None:
        """A flow that keeps its own log of decisions writes it here, in the
        decision's transaction; the step's ``data`` holds it already."""

    # --- permissions ---------------------------------------------------------------

    def has_view_permission(self, user, obj=None):
        """The flow's pages are open to whoever may see its documents; one
        process only to those who see its document or have a task in it."""
        if not (user.is_authenticated and user.has_perm(self.view_permission)):
            return False
        if obj is None:
            return True
        documents = self.document_model.objects.visible_to(user)
        if documents.filter(pk=obj.artifact_object_id).exists():
            return True
        return (
            obj.task_set.filter(owner=user).exists()
            or obj.task_set.filter(status__in=["NEW"], data__approvers__contains=[user.pk]).exists()
        )

    def has_manage_permission(self, user, obj=None):
        return user.is_authenticated and user.is_superuser

    # --- documents -------------------------------------------------------------------

    def document(self, process):
        """The document of a run (cached on the process object)."""
        cached = process.__dict__.get("_approval_document")
        if cached is None or cached.pk != process.artifact_object_id:
            cached = self.document_model.objects.select_related(*self.document_related).get(
                pk=process.artifact_object_id
            )
            process.__dict__["_approval_document"] = cached
        return cached

    def lock_document(self, process):
        return self.document_model.objects.select_for_update(of=("self",)).get(
            pk=process.artifact_object_id
        )

    # --- node callbacks ----------------------------------------------------------------

    @property
    def decision_view(self):
        if self.decision_view_class is None:
            return _no_decision_view
        return self.decision_view_class.as_view()

    def start_process(self, activation, *, document, by):
        activation.process.artifact = document
        activation.process.data = {"submitted_by": by.pk}
        activation.task.owner = by
        return activation.process

    def step_data(self, activation) -> dict:
        """The next step's level, name and approvers: the rule's people now
        (someone who joined the role since the submission may decide), or
        those stored at submission when nobody holds the role any more."""
        process = activation.process
        document = self.document(process)
        chain = document.approval_chain
        index = approved_steps(process)
        step = chain[index]
        approvers = list(
            step_approvers(
                step,
                branch_id=document.branch_id,
                submitter_id=(process.data or {}).get("submitted_by"),
            ).values_list("pk", flat=True)
        ) or step.get("approvers", [])
        return {
            "step": index,
            "steps": len(chain),
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
        """Whoever may decide the new step hears of it."""
        task = activation.task
        document = self.document(activation.process)
        notify(
            recipients=[task.owner_id] if task.owner_id else task.data.get("approvers", []),
            title=lambda: self.step_title(document),
            body=lambda: self.step_body(document, task),
            url=task_url(task),
        )

    def last_outcome(self, process) -> str | None:
        last = (
            process.task_set.filter(flow_task_type="HUMAN", finished__isnull=False)
            .order_by("-finished", "-id")
            .first()
        )
        return (last.data or {}).get("outcome") if last else None

    def was_approved(self, activation) -> bool:
        return self.last_outcome(activation.process) == "approved"

    def has_next_step(self, activation) -> bool:
        process = activation.process
        return approved_steps(process) < len(self.document(process).approval_chain)

    def finish_approved(self, activation):
        self.approval_finished(process=activation.process, outcome="approved")

    def finish_rejected(self, activation):
        self.approval_finished(
            process=activation.process, outcome=self.last_outcome(activation.process) or "rejected"
        )

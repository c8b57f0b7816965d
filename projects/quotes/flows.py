"""Quote approval (QUO-3) on the approvals engine.

A submitted quote passes one approval step per level of the chain its
approval rules require (``projects.quotes.services.quote_chain``), in level
order (``approvals.flows.ApprovalFlow``). A rejection ends the flow and
sends the quote back to draft with the reason; the last approval freezes it.
Every decision is also kept in the quote's own log (``QuoteDecision``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow.workflow import flow

from approvals.flows import ApprovalFlow, approval_step
from crm.money import format_money
from projects.models import Quote, QuoteApprovalProcess, QuoteDecision
from projects.quotes import services
from projects.quotes.views import QuoteDecisionView

KINDS = {
    "approved": QuoteDecision.Kind.APPROVED,
    "rejected": QuoteDecision.Kind.REJECTED,
    "returned": QuoteDecision.Kind.REJECTED,
}


class QuoteApprovalFlow(ApprovalFlow, flow.Flow):
    """Quote approval

    Each level of the approval chain decides in turn; a rejection returns the
    quote to draft, the last approval freezes it.
    """

    process_class = QuoteApprovalProcess
    process_title = _("Quote approval")
    process_summary_template = "{{ process.quote }}"
    document_model = Quote
    document_related = ("customer", "owner", "opportunity")
    view_permission = "projects.view_quote"
    decision_view_class = QuoteDecisionView
    own_document = services.OWN_DOCUMENT
    reason_required = services.REASON_REQUIRED
    step_closed = services.STEP_CLOSED

    approve = approval_step(title=_("Approve quote"), permission="projects.approve_quote")

    def step_title(self, document):
        return _("Quote %(quote)s waits for your approval") % {"quote": document}

    def step_body(self, document, task):
        return _("%(customer)s, total %(total)s, level %(level)s: %(step)s") % {
            "customer": document.customer,
            "total": format_money(document.total),
            "level": task.data.get("level"),
            "step": task.data.get("name"),
        }

    def record_decision(self, *, task, document, by, outcome, comment):
        data = task.data or {}
        QuoteDecision.objects.create(
            quote=document,
            kind=KINDS[outcome],
            process=task.process,
            task=task,
            level=data.get("level"),
            step_name=data.get("name", ""),
            by=by,
            comment=comment,
        )

    def approval_finished(self, *, process, outcome):
        services.quote_approval_finished(process=process, approved=outcome == "approved")

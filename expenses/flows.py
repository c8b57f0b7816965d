"""Expense claim approval (EXP-2) on the approvals engine.

Submitting a claim stores the chain its approval rules (document type
"expense") require (``expenses.services.claim_submit``) and starts this flow:
one step per level for the level's approvers in the claim's branch, never
the submitter. The last approval approves the claim (it counts against the
budget from then on); a rejection is final; a return sends it back to draft.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow.workflow import flow

from approvals.flows import ApprovalFlow, approval_step
from approvals.services import Decision, display_name
from expenses import services
from expenses.models import ExpenseApprovalProcess, ExpenseClaim
from expenses.views import ExpenseDecisionView


class ExpenseApprovalFlow(ApprovalFlow, flow.Flow):
    """Expense claim approval

    Each level of the claim's approval chain decides in turn; a return sends
    the claim back to draft, a rejection ends it, the last approval approves it.
    """

    process_class = ExpenseApprovalProcess
    process_title = _("Expense approval")
    process_summary_template = "{{ process.claim }}"
    document_model = ExpenseClaim
    document_related = ("owner", "category")
    view_permission = "expenses.view_expenseclaim"
    decision_view_class = ExpenseDecisionView
    own_document = services.OWN_CLAIM
    reason_required = services.REASON_REQUIRED
    step_closed = services.STEP_CLOSED
    decisions = (Decision.APPROVE, Decision.RETURN, Decision.REJECT)

    approve = approval_step(
        title=_("Approve expense claim"), permission="expenses.approve_expenseclaim"
    )

    def step_title(self, document):
        return _("Expense claim %(claim)s waits for your approval") % {"claim": document}

    def step_body(self, document, task):
        return _("%(employee)s, %(category)s, amount %(amount)s, level %(level)s: %(step)s") % {
            "employee": display_name(document.owner),
            "category": document.category,
            "amount": document.amount,
            "level": task.data.get("level"),
            "step": task.data.get("name"),
        }

    def approval_finished(self, *, process, outcome):
        services.claim_approval_finished(process=process, outcome=outcome)

"""Contract approval (CON-1) on the approvals engine.

Submitting a contract stores the chain its approval rules require
(``projects.contracts.services.contract_submit``) and starts this flow: one
step per level for the level's approvers in the contract's branch, never the
submitter. The last approval makes the contract approved (the rep then signs
it); a rejection sends it back to draft with the reason.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow.workflow import flow

from approvals.flows import ApprovalFlow, approval_step
from approvals.services import Decision
from crm.money import format_money
from projects.contracts import services
from projects.contracts.views import ContractDecisionView
from projects.models import Contract, ContractApprovalProcess


class ContractApprovalFlow(ApprovalFlow, flow.Flow):
    """Contract approval

    Each level of the contract's approval chain decides in turn; a rejection
    returns the contract to draft, the last approval makes it ready to sign.
    """

    process_class = ContractApprovalProcess
    process_title = _("Contract approval")
    process_summary_template = "{{ process.contract }}"
    document_model = Contract
    view_permission = "projects.view_contract"
    decision_view_class = ContractDecisionView
    own_document = services.OWN_CONTRACT
    reason_required = services.REASON_REQUIRED
    step_closed = services.STEP_CLOSED

    #: A contract is often sent back for its wording rather than refused.
    decisions = (Decision.APPROVE, Decision.RETURN, Decision.REJECT)

    approve = approval_step(title=_("Approve contract"), permission="projects.approve_contract")

    def step_title(self, document):
        return _("Contract %(contract)s waits for your approval") % {"contract": document}

    def step_body(self, document, task):
        return _("%(customer)s, amount %(amount)s, level %(level)s: %(step)s") % {
            "customer": document.customer,
            "amount": format_money(document.amount),
            "level": task.data.get("level"),
            "step": task.data.get("name"),
        }

    def approval_finished(self, *, process, outcome):
        services.contract_approval_finished(process=process, outcome=outcome)

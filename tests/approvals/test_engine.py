"""The approvals engine: the registry of flows, the rules' chain, the one
decide service with its decision table, and the graph every document's
approval flow shares."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.flows import ApprovalFlow
from approvals.models import ApprovalRule, DocumentType
from approvals.registry import flow_for, register_flow
from approvals.rules import NO_APPROVER, approval_chain, chain_with_approvers
from approvals.services import (
    DECISIONS,
    NOT_OFFERED,
    Decision,
    approval_decide,
)
from crm.models import Notification, Role
from customers.models import Customer
from projects.contracts.flows import ContractApprovalFlow
from projects.contracts.services import contract_set_plan, contract_submit
from projects.models import Contract, ContractStatus, Quote, QuoteStatus, SalesOrder
from projects.orders.flows import SalesOrderFlow
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.services import quote_submit
from tests.factories import make_contract, make_employee, make_quote
from tests.projects.approval_helpers import make_quote_rules

pytestmark = pytest.mark.django_db
D = Decimal


def open_step(flow_class, obj):
    return Task.objects.get(
        process__artifact_object_id=obj.pk,
        process__flow_class=flow_class,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def planned_contract(owner, amount=300000):
    contract = make_contract(owner, amount=amount)
    return contract_set_plan(
        contract=contract,
        by=owner,
        milestones=[{"kind": "delivery", "due_on": "2030-01-01"}],
        instalments=[{"due_on": "2030-01-01", "amount": D(amount)}],
    )


@pytest.fixture
def contract_rule(org):
    return ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT,
        name="manager",
        level=1,
        approver_role=Role.objects.get(code="sales_manager"),
    )


def test_each_document_model_has_its_flow_and_others_none():
    assert flow_for(Quote) is QuoteApprovalFlow
    assert flow_for(Contract) is ContractApprovalFlow
    assert flow_for(SalesOrder) is SalesOrderFlow
    with pytest.raises(LookupError):
        flow_for(Customer)
    with pytest.raises(ValueError):
        register_flow(Quote, ContractApprovalFlow)


def test_the_approval_flows_share_one_graph():
    nodes = set(QuoteApprovalFlow._nodes_by_name)
    assert nodes == set(ContractApprovalFlow._nodes_by_name)
    assert {"start", "approve", "check_decision", "check_more", "approved", "rejected"} <= nodes
    for flow_class in (QuoteApprovalFlow, ContractApprovalFlow):
        assert issubclass(flow_class, ApprovalFlow)
        # each flow binds its own copies of the shared nodes
        assert flow_class.approve.flow_class is flow_class


def test_the_decision_table():
    assert DECISIONS[Decision.APPROVE].continues and not DECISIONS[Decision.APPROVE].needs_reason
    for decision in (Decision.REJECT, Decision.RETURN):
        assert DECISIONS[decision].needs_reason and not DECISIONS[decision].continues
    assert {rule.outcome for rule in DECISIONS.values()} == {"approved", "rejected", "returned"}


def test_the_chain_skips_rules_that_do_not_apply_and_names_each_approver_once(org):
    role = Role.objects.get(code="sales_manager")
    for name, level, amount in (("small", 1, "1000"), ("big", 2, "500000"), ("again", 3, "0")):
        ApprovalRule.objects.create(
            document_type=DocumentType.CONTRACT,
            name=name,
            level=level,
            amount_above=D(amount),
            approver_role=role,
        )
    chain = approval_chain(document_type=DocumentType.CONTRACT, amount=D("2000"))
    assert [step.rule_name for step in chain] == ["small"]  # "again": same approver
    assert approval_chain(document_type=DocumentType.QUOTE, amount=D("2000")) == []


def test_a_step_nobody_in_the_branch_can_decide_refuses_the_submission(org):
    role = Role.objects.get(code="finance")  # nobody holds it in the fixture
    rule = ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT, name="finance", level=1, approver_role=role
    )
    chain = approval_chain(document_type=DocumentType.CONTRACT, amount=D("1"))
    with pytest.raises(ValidationError) as refused:
        chain_with_approvers(chain, branch_id=org.east.pk, submitter_id=org.rep.pk)
    assert refused.value.messages == [NO_APPROVER % {"step": rule.name}]


def test_the_submitter_is_never_an_approver_of_their_own_document(org, contract_rule):
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    chain = approval_chain(document_type=DocumentType.CONTRACT, amount=D("1"))
    steps = chain_with_approvers(chain, branch_id=org.east.pk, submitter_id=org.manager.pk)
    assert steps[0]["approvers"] == [manager2.pk]
    with pytest.raises(ValidationError):  # no sales manager in the South branch
        chain_with_approvers(chain, branch_id=org.south.pk, submitter_id=org.rep2.pk)


def test_a_decision_the_flow_does_not_offer_is_refused_and_nothing_changes(org):
    make_quote_rules()
    quote = quote_submit(quote=make_quote(org.rep, discount=15), by=org.rep)
    step = open_step(QuoteApprovalFlow, quote)
    assert Decision.RETURN not in QuoteApprovalFlow.instance.decisions

    with pytest.raises(ValidationError) as refused:
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.RETURN, comment="x")

    assert refused.value.messages == [str(NOT_OFFERED)]
    step.refresh_from_db()
    quote.refresh_from_db()
    assert (step.status, quote.status, quote.decisions.count()) == (
        STATUS.ASSIGNED,
        QuoteStatus.SUBMITTED,
        1,  # the submission
    )


def test_returning_a_contract_sends_it_back_for_changes_with_the_reason(
    org, contract_rule, django_capture_on_commit_callbacks
):
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    step = open_step(ContractApprovalFlow, contract)

    with pytest.raises(ValidationError):  # a return needs a reason, like a rejection
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.RETURN)
    with django_capture_on_commit_callbacks(execute=True):
        approval_decide(
            task_id=step.pk, by=org.manager, decision=Decision.RETURN, comment="付款条款改为30天"
        )

    contract.refresh_from_db()
    step.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT
    assert (step.data["outcome"], step.data["comment"]) == ("returned", "付款条款改为30天")
    note = Notification.objects.filter(recipient=org.rep).latest("id")
    assert "退回修改" in note.title and "付款条款改为30天" in note.body  # in the rep's Chinese


def test_the_contract_decision_page_offers_the_return(client, org, contract_rule):
    contract = contract_submit(contract=planned_contract(org.rep), by=org.rep)
    step = open_step(ContractApprovalFlow, contract)
    url = step.flow_task.reverse("execute", args=[step.process_id, step.pk])
    client.force_login(org.manager)

    page = client.get(url)
    assert page.status_code == 200 and 'value="return"' in page.content.decode()

    response = client.post(url, {"decision": "return", "comment": "改一下"})
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == ContractStatus.DRAFT

"""Expense claims (EXP-2): drafts, submission on the approvals engine,
approval through levels, rejection, return to draft, refusals and scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.services import NOT_YOUR_TASK, ApprovalConflict, Decision, approval_decide
from crm.models import Notification
from expenses.flows import ExpenseApprovalFlow
from expenses.models import ClaimStatus, ExpenseClaim
from expenses.services import (
    AMOUNT_POSITIVE,
    NOT_DRAFT,
    OWN_CLAIM,
    claim_create,
    claim_processes,
    claim_submit,
    claim_update,
)
from tests.factories import make_contact, make_customer, make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal


def open_step(claim):
    return Task.objects.get(
        process__artifact_object_id=claim.pk,
        process__flow_class=ExpenseApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def new_claim(user, category, amount="800", **fields):
    return claim_create(
        by=user, category=category, amount=D(amount), spent_on=date(2030, 3, 5), **fields
    )


def test_a_claim_is_approved_by_manager_then_finance(
    org, finance, travel, expense_rules, django_capture_on_commit_callbacks
):
    claim = new_claim(org.rep, travel, "12000")
    assert claim.status == ClaimStatus.DRAFT and claim.number.startswith("FY")
    assert claim.owner == org.rep and claim.department == org.team1
    with django_capture_on_commit_callbacks(execute=True):
        claim = claim_submit(claim=claim, by=org.rep)
    assert claim.status == ClaimStatus.SUBMITTED
    assert [(s["role"], s["approvers"]) for s in claim.approval_chain] == [
        ("sales_manager", [org.manager.pk]),
        ("finance", [finance.pk]),
    ]
    step = open_step(claim)
    assert step.owner == org.manager
    assert Notification.objects.filter(recipient=org.manager).count() == 1
    with pytest.raises(PermissionDenied):
        approval_decide(task_id=step.pk, by=finance, decision=Decision.APPROVE)
    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    second = open_step(claim)
    assert second.owner == finance
    approval_decide(task_id=second.pk, by=finance, decision=Decision.APPROVE)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert Notification.objects.filter(recipient=org.rep, title__contains="was approved").exists()
    assert claim.history.filter(history_change_reason="Approved").exists()


def test_a_small_claim_needs_only_the_manager(org, finance, travel, expense_rules):
    claim = claim_submit(claim=new_claim(org.rep, travel, "800"), by=org.rep)
    assert [s["role"] for s in claim.approval_chain] == ["sales_manager"]
    approval_decide(task_id=open_step(claim).pk, by=org.manager, decision=Decision.APPROVE)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_rejecting_needs_a_reason_and_is_final(org, finance, travel, expense_rules):
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    step = open_step(claim)
    with pytest.raises(ValidationError):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.REJECT)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.REJECT, comment="No receipt")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert Notification.objects.filter(recipient=org.rep, body__contains="No receipt").exists()
    with pytest.raises(ValidationError) as refused:
        claim_submit(claim=claim, by=org.rep)
    assert str(NOT_DRAFT) in refused.value.messages
    with pytest.raises(ApprovalConflict):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)


def test_a_returned_claim_is_a_draft_again_and_can_be_resubmitted(
    org, finance, travel, expense_rules
):
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    with pytest.raises(ValidationError):
        approval_decide(task_id=open_step(claim).pk, by=org.manager, decision=Decision.RETURN)
    approval_decide(
        task_id=open_step(claim).pk,
        by=org.manager,
        decision=Decision.RETURN,
        comment="Split the taxi",
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    claim = claim_update(claim=claim, by=org.rep, amount=D("700"))
    claim = claim_submit(claim=claim, by=org.rep)
    assert claim.status == ClaimStatus.SUBMITTED
    assert claim_processes(claim).count() == 2
    approval_decide(task_id=open_step(claim).pk, by=org.manager, decision=Decision.APPROVE)
    claim.refresh_from_db()
    assert (claim.status, claim.amount) == (ClaimStatus.APPROVED, D("700.00"))


def test_the_submitter_never_approves_their_own_claim(org, finance, travel, expense_rules):
    # The manager's own claim: the chain skips them; nobody else holds the
    # role in the branch's team, so another manager is made.
    from tests.factories import make_employee

    other = make_employee(org.team2, "sales_manager", username="manager2").user
    claim = claim_submit(claim=new_claim(org.manager, travel), by=org.manager)
    assert claim.approval_chain[0]["approvers"] == [other.pk]
    step = open_step(claim)
    Task.objects.filter(pk=step.pk).update(
        owner=None, status=STATUS.NEW, data={**step.data, "approvers": [org.manager.pk]}
    )
    with pytest.raises(PermissionDenied) as refused:
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    assert str(refused.value) == str(OWN_CLAIM)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_the_wrong_role_is_refused_and_nothing_changes(org, finance, travel, expense_rules):
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    step = open_step(claim)
    for outsider in (finance, org.secretary, org.rep_b, org.branch_mgr, org.rep2):
        with pytest.raises(PermissionDenied) as refused:
            approval_decide(task_id=step.pk, by=outsider, decision=Decision.APPROVE)
        assert str(refused.value) == str(NOT_YOUR_TASK)
    step.refresh_from_db()
    claim.refresh_from_db()
    assert (step.status, step.owner, claim.status) == (
        STATUS.ASSIGNED,
        org.manager,
        ClaimStatus.SUBMITTED,
    )


def test_no_rule_approves_at_once(org, travel):
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    assert claim.status == ClaimStatus.APPROVED
    assert not claim_processes(claim).exists()


@pytest.mark.parametrize("amount", ["0", "-5", "0.001"])
def test_zero_or_negative_amounts_are_refused(org, travel, amount):
    with pytest.raises(ValidationError) as refused:
        new_claim(org.rep, travel, amount)
    assert str(AMOUNT_POSITIVE) in refused.value.messages
    assert not ExpenseClaim.objects.exists()


def test_the_database_refuses_a_non_positive_amount(org, travel):
    claim = new_claim(org.rep, travel)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExpenseClaim.objects.filter(pk=claim.pk).update(amount=D("0"))


def test_linked_records_must_be_visible_to_the_submitter(org, travel):
    mine = make_customer(org.rep)
    deal = make_opportunity(org.rep, customer=mine)
    contact = make_contact(mine)
    claim = new_claim(org.rep, travel, opportunity=deal, contact=contact)
    assert claim.customer == mine  # the deal's customer

    theirs = make_customer(org.rep2)
    for link in (
        {"customer": theirs},
        {"opportunity": make_opportunity(org.rep2, customer=theirs)},
        {"contact": make_contact(theirs)},
    ):
        with pytest.raises(Http404):
            new_claim(org.rep, travel, **link)
    assert ExpenseClaim.objects.count() == 1


def test_only_the_employee_edits_and_submits_a_draft(org, travel):
    claim = new_claim(org.rep, travel)
    with pytest.raises(PermissionDenied):
        claim_update(claim=claim, by=org.manager, amount=D("1"))  # sees it, not theirs
    with pytest.raises(Http404):
        claim_submit(claim=claim, by=org.rep_b)  # not in their scope


@pytest.mark.django_db(transaction=True)
def test_two_managers_deciding_a_claim_at_once_record_exactly_one_decision(org):
    from approvals.models import ApprovalRule, DocumentType
    from crm.models import Role
    from expenses.models import ExpenseCategory
    from tests.factories import make_employee
    from tests.projects.approval_helpers import at_once

    ApprovalRule.objects.create(
        document_type=DocumentType.EXPENSE,
        name="manager",
        level=1,
        approver_role=Role.objects.get(code="sales_manager"),
    )
    manager2 = make_employee(org.team1, "sales_manager", username="manager2").user
    travel = ExpenseCategory.objects.create(name="差旅费")
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    step = open_step(claim)
    assert step.status == STATUS.NEW and sorted(step.data["approvers"]) == sorted(
        [org.manager.pk, manager2.pk]
    )
    outcomes = at_once(
        {
            user.username: lambda user=user, approve=approve: approval_decide(
                task_id=step.pk,
                by=user,
                decision=Decision.APPROVE if approve else Decision.REJECT,
                comment="mine",
            )
            for user, approve in ((org.manager, True), (manager2, False))
        }
    )
    assert list(outcomes.values()).count("done") == 1
    winner = next(name for name, outcome in outcomes.items() if outcome == "done")
    claim.refresh_from_db()
    expected = ClaimStatus.APPROVED if winner == "manager" else ClaimStatus.REJECTED
    assert claim.status == expected
    assert (
        Task.objects.filter(
            process_id=step.process_id, flow_task_type="HUMAN", data__has_key="outcome"
        ).count()
        == 1
    )

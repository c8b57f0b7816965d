"""Budgets (EXP-1): finance writes lines, double counting is refused, approved
claims count at once, over-budget claims are flagged or blocked (EXP-2), and
execution is computed in SQL within the scope (EXP-3)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.services import Decision, approval_decide
from expenses.budgets import (
    ExecutionFilters,
    budget_create,
    budget_execution,
    budget_update,
    execution_totals,
)
from expenses.flows import ExpenseApprovalFlow
from expenses.models import Budget, ClaimStatus, ExpenseSettings, OverBudget
from expenses.services import claim_create, claim_submit
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal
DOUBLE = "already covers part of this period"


def new_claim(user, category, amount, spent_on=date(2030, 3, 5), **fields):
    return claim_create(by=user, category=category, amount=D(amount), spent_on=spent_on, **fields)


def march(finance, org, travel, amount="1000", **fields):
    return budget_create(
        by=finance,
        department=org.team1,
        category=travel,
        period_kind="month",
        year=2030,
        number=3,
        amount=D(amount),
        **fields,
    )


def test_finance_writes_budget_lines_with_history_and_others_may_not(org, finance, travel):
    line = march(finance, org, travel)
    assert (line.starts_on, line.ends_on) == (date(2030, 3, 1), date(2030, 3, 31))
    line = budget_update(budget=line, by=finance, amount=D("1500"))
    assert line.amount == D("1500") and line.history.count() == 2
    assert line.history.first().history_user == finance
    with pytest.raises(PermissionDenied):
        march(org.manager, org, travel)
    with pytest.raises(PermissionDenied):
        budget_update(budget=line, by=org.rep, amount=D("1"))


def test_a_line_double_counting_another_is_refused(org, finance, travel):
    march(finance, org, travel)
    with pytest.raises(ValidationError) as refused:
        budget_create(
            by=finance,
            department=org.team1,
            category=travel,
            period_kind="quarter",
            year=2030,
            number=1,
            amount=D("5000"),
        )
    assert DOUBLE in str(refused.value)
    # the database refuses it too, whatever the code path
    line = Budget.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Budget.objects.create(
            department=org.team1,
            category=travel,
            period_kind="year",
            starts_on=date(2030, 1, 1),
            ends_on=date(2030, 12, 31),
            amount=D("1"),
        )
    # another department, another month or a deal's own line are fine
    deal = make_opportunity(org.rep, customer=make_customer(org.rep))
    march(finance, org, travel, opportunity=deal)
    budget_create(
        by=finance,
        department=org.team2,
        category=travel,
        period_kind="month",
        year=2030,
        number=3,
        amount=D("1"),
    )
    budget_create(
        by=finance,
        department=org.team1,
        category=travel,
        period_kind="month",
        year=2030,
        number=4,
        amount=D("1"),
    )
    assert Budget.objects.count() == 4 and line.pk


def test_approved_claims_count_at_once_and_execution_is_in_sql(
    org, finance, travel, expense_rules, django_assert_num_queries
):
    line = march(finance, org, travel)
    waiting = claim_submit(claim=new_claim(org.rep, travel, "300"), by=org.rep)
    approved = claim_submit(claim=new_claim(org.rep_b, travel, "200"), by=org.rep_b)
    step = Task.objects.get(
        process__artifact_object_id=approved.pk,
        process__flow_class=ExpenseApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )
    approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    new_claim(org.rep, travel, "999")  # a draft counts for nothing
    new_claim(org.rep, travel, "50", spent_on=date(2030, 4, 1))  # another month
    assert waiting.status == ClaimStatus.SUBMITTED

    with django_assert_num_queries(2):  # the scope, then the lines with their sums
        rows = list(budget_execution(user=finance, filters=ExecutionFilters(year=2030)))
    assert [(r.pk, r.amount, r.submitted, r.approved) for r in rows] == [
        (line.pk, D("1000"), D("300"), D("200"))
    ]
    totals = execution_totals(budget_execution(user=finance, filters=ExecutionFilters()))
    assert totals == {"budget": D("1000"), "submitted": D("300"), "approved": D("200")}
    # another branch's people see nothing of this department's budget
    assert not list(budget_execution(user=org.rep2, filters=ExecutionFilters()))


def test_an_over_budget_claim_is_flagged_by_default(org, finance, travel):
    march(finance, org, travel, "500")
    claim = claim_submit(claim=new_claim(org.rep, travel, "400"), by=org.rep)
    assert claim.status == ClaimStatus.APPROVED and not claim.over_budget
    claim = claim_submit(claim=new_claim(org.rep, travel, "200"), by=org.rep)
    assert claim.status == ClaimStatus.APPROVED and claim.over_budget


def test_an_over_budget_claim_is_blocked_when_the_admin_says_so(org, finance, travel):
    ExpenseSettings.objects.create(over_budget=OverBudget.BLOCK)
    march(finance, org, travel, "500")
    claim_submit(claim=new_claim(org.rep, travel, "400"), by=org.rep)
    claim = new_claim(org.rep, travel, "200")
    with pytest.raises(ValidationError) as refused:
        claim_submit(claim=claim, by=org.rep)
    assert "over its amount: 600.00 of 500.00" in str(refused.value)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and not claim.approval_chain


def test_a_deal_line_counts_only_that_deals_claims(org, finance, travel):
    deal = make_opportunity(org.rep, customer=make_customer(org.rep))
    other = make_opportunity(org.rep, customer=make_customer(org.rep))
    deal_line = march(finance, org, travel, "300", opportunity=deal)
    general = march(finance, org, travel, "10000")
    claim_submit(claim=new_claim(org.rep, travel, "100", opportunity=deal), by=org.rep)
    claim_submit(claim=new_claim(org.rep, travel, "40", opportunity=other), by=org.rep)
    rows = {r.pk: r.approved for r in budget_execution(user=finance, filters=ExecutionFilters())}
    assert rows == {deal_line.pk: D("100"), general.pk: D("140")}
    only = budget_execution(user=finance, filters=ExecutionFilters(deal=deal.pk))
    assert [r.pk for r in only] == [deal_line.pk]

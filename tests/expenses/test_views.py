"""Expense claim pages: scope (404 outside it), permissions, the decision
page refusing the wrong people, and pinned query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from expenses.flows import ExpenseApprovalFlow
from expenses.models import ClaimStatus, ExpenseClaim
from expenses.services import claim_create, claim_submit
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal


def new_claim(user, category, amount="800", **fields):
    return claim_create(
        by=user, category=category, amount=D(amount), spent_on=date(2030, 3, 5), **fields
    )


def open_step(claim):
    return Task.objects.get(
        process__artifact_object_id=claim.pk,
        process__flow_class=ExpenseApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def test_a_rep_files_and_submits_a_claim_through_the_pages(client, org, travel, expense_rules):
    deal = make_opportunity(org.rep, customer=make_customer(org.rep))
    client.force_login(org.rep)
    page = client.get(reverse("expenses:claim:add") + f"?opportunity={deal.pk}")
    assert page.status_code == 200 and f'value="{deal.pk}"' in page.content.decode()
    response = client.post(
        reverse("expenses:claim:add"),
        {
            "category": travel.pk,
            "amount": "350.50",
            "spent_on": "2030-03-01",
            "opportunity": deal.pk,
        },
    )
    claim = ExpenseClaim.objects.get()
    assert response.status_code == 302 and response.url == claim.get_absolute_url()
    assert claim.customer == deal.customer
    response = client.post(reverse("expenses:claim:submit", kwargs={"pk": claim.pk}))
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    detail = client.get(claim.get_absolute_url()).content.decode()
    assert "Waiting for approval" in detail and "Level 1: manager" in detail


def test_a_zero_amount_is_refused_on_the_page_and_nothing_is_written(client, org, travel):
    client.force_login(org.rep)
    response = client.post(
        reverse("expenses:claim:add"),
        {"category": travel.pk, "amount": "0", "spent_on": "2030-03-01"},
    )
    assert response.status_code == 400
    assert "The amount must be more than zero." in response.content.decode()
    assert not ExpenseClaim.objects.exists()


def test_a_claim_on_a_deal_outside_the_scope_is_404(client, org, travel):
    deal = make_opportunity(org.rep2, customer=make_customer(org.rep2))
    client.force_login(org.rep)
    response = client.post(
        reverse("expenses:claim:add"),
        {"category": travel.pk, "amount": "10", "spent_on": "2030-03-01", "opportunity": deal.pk},
    )
    assert response.status_code == 404
    assert not ExpenseClaim.objects.exists()


def test_claims_outside_the_scope_are_404_and_not_listed(client, org, travel):
    claim = new_claim(org.rep, travel)
    client.force_login(org.rep2)
    for name in ("detail", "edit", "submit"):
        url = reverse(f"expenses:claim:{name}", kwargs={"pk": claim.pk})
        response = client.post(url) if name == "submit" else client.get(url)
        assert response.status_code == 404, name
    listing = client.get(reverse("expenses:claim:index")).content.decode()
    assert claim.number not in listing
    client.force_login(org.manager)
    assert claim.number in client.get(reverse("expenses:claim:index")).content.decode()
    assert claim.number not in client.get(reverse("expenses:mine:index")).content.decode()


def test_the_decision_page_decides_and_refuses_others(client, org, finance, travel, expense_rules):
    claim = claim_submit(claim=new_claim(org.rep, travel), by=org.rep)
    step = open_step(claim)
    url = reverse(
        "expenses:expenseapproval:approve:execute",
        kwargs={"process_pk": step.process_id, "task_pk": step.pk},
    )
    client.force_login(org.rep2)  # another branch: cannot see the claim
    assert client.get(url).status_code == 404
    client.force_login(org.rep)  # the submitter
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="decision-refusal"' in page.content.decode()
    assert client.post(url, {"decision": "approve"}).status_code == 403
    client.force_login(org.manager)
    inbox = client.get(reverse("expenses:inbox:index")).content.decode()
    assert f'data-task="{step.pk}"' in inbox and claim.number in inbox
    assert client.post(url, {"decision": "reject"}).status_code == 400  # no reason
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    inbox = client.get(reverse("expenses:inbox:index")).content.decode()
    assert f'data-task="{step.pk}"' not in inbox


def test_a_user_without_the_permission_gets_403(client, org, travel):
    from tests.factories import make_employee

    nobody = make_employee(org.team1, username="nobody").user
    client.force_login(nobody)
    assert client.get(reverse("expenses:claim:index")).status_code == 403
    assert client.get(reverse("expenses:claim:add")).status_code == 403


def test_page_query_counts_do_not_grow_with_rows(
    client, org, finance, travel, expense_rules, django_assert_max_num_queries
):
    customer = make_customer(org.rep)

    def counts():
        client.force_login(org.manager)
        found = {}
        for name in ("expenses:claim:index", "expenses:mine:index", "expenses:inbox:index"):
            from django.db import connection
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            found[name] = len(queries)
        return found

    claim = claim_submit(claim=new_claim(org.rep, travel, customer=customer), by=org.rep)
    counts()  # warms the session and the scope cache
    first = counts()
    for _ in range(4):
        claim_submit(claim=new_claim(org.rep, travel, customer=customer), by=org.rep)
    assert counts() == first
    client.force_login(org.manager)
    with django_assert_max_num_queries(30):
        client.get(claim.get_absolute_url())

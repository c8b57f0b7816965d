"""Cost of sale (EXP-3) on the deal and customer pages: a lazy frame, the
approved claims' sum, 404 outside the scope."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from expenses.services import claim_create, claim_submit
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db
D = Decimal


def test_cost_of_sale_on_the_deal_and_customer_pages(client, org, travel, expense_rules):
    customer = make_customer(org.rep)
    deal = make_opportunity(org.rep, customer=customer)
    for amount in ("100", "250.50"):
        claim_submit(
            claim=claim_create(
                by=org.rep,
                category=travel,
                amount=D(amount),
                spent_on=date(2030, 3, 1),
                opportunity=deal,
            ),
            by=org.rep,
        )
    # approve both: no rule for the manager's claims would auto-approve; use the engine
    from viewflow.workflow.models import Task
    from viewflow.workflow.status import STATUS

    from approvals.services import Decision, approval_decide
    from expenses.flows import ExpenseApprovalFlow

    for step in Task.objects.filter(
        process__flow_class=ExpenseApprovalFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ):
        approval_decide(task_id=step.pk, by=org.manager, decision=Decision.APPROVE)
    claim_submit(
        claim=claim_create(
            by=org.rep, category=travel, amount=D("7"), spent_on=date(2030, 3, 1), customer=customer
        ),
        by=org.rep,
    )  # waiting

    client.force_login(org.rep)
    deal_frame = reverse("expenses:cost:deal", kwargs={"pk": deal.pk})
    customer_frame = reverse("expenses:cost:customer", kwargs={"pk": customer.pk})
    assert deal_frame in client.get(deal.get_absolute_url()).content.decode()
    assert customer_frame in client.get(customer.get_absolute_url()).content.decode()
    page = client.get(deal_frame).content.decode()
    assert 'data-testid="cost-approved">350.50<' in page
    page = client.get(customer_frame).content.decode()
    assert 'data-testid="cost-approved">350.50<' in page and "7.00" in page

    client.force_login(org.rep2)
    assert client.get(deal_frame).status_code == 404
    assert client.get(customer_frame).status_code == 404

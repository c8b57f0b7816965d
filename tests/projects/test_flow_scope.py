"""Every URL viewflow mounts for a process of one of our flows (the process
page, its chart and each task's generic views: detail, assign, undo, cancel
…) answers 404 to a user who may not see the process, and the process page
opens for its owner and for the approver who holds its task."""

from __future__ import annotations

import re

import pytest
from django.urls import get_resolver
from viewflow.workflow.models import Task

from approvals.models import ApprovalRule, DocumentType
from crm.models import Role
from projects.contracts.flows import ContractApprovalFlow
from projects.contracts.services import contract_set_plan, contract_submit
from projects.orders import steps as order_flow
from projects.orders.flows import SalesOrderFlow
from projects.quotes.flows import QuoteApprovalFlow
from projects.quotes.services import quote_submit
from tests.factories import make_contract, make_employee, make_order, make_quote
from tests.projects.approval_helpers import make_quote_rules
from tests.test_routes_scope import _walk

pytestmark = pytest.mark.django_db

PREFIXES = {
    QuoteApprovalFlow: "quotes/quoteapproval/",
    SalesOrderFlow: "orders/orderflow/",
    ContractApprovalFlow: "orders/contractapproval/",
}


def submitted_quote(org):
    make_quote_rules()
    quote = make_quote(org.rep, discount=15)
    quote_submit(quote=quote, by=org.rep)
    return quote, org.manager


def submitted_order(org):
    make_employee(org.east_sales, "finance", username="finance")  # someone for the re-check
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    return order, org.secretary


def submitted_contract(org):
    ApprovalRule.objects.create(
        document_type=DocumentType.CONTRACT,
        name="manager",
        level=1,
        approver_role=Role.objects.get(code="sales_manager"),
    )
    contract = make_contract(org.rep, amount=1000)
    contract_set_plan(
        contract=contract,
        by=org.rep,
        milestones=[],
        instalments=[{"due_on": "2030-01-01", "amount": 1000}],
    )
    contract_submit(contract=contract, by=org.rep)
    return contract, org.manager


def process_urls(flow_class, tasks) -> list[str]:
    prefix = PREFIXES[flow_class]
    urls = []
    for route, _name, _callback in _walk(get_resolver().url_patterns):
        if not route.startswith(prefix + "<int:process_pk>"):
            continue
        for task in tasks:
            url = route.replace("<int:process_pk>", str(task.process_id))
            urls.append("/" + url.replace("<int:task_pk>", str(task.pk)))
    return sorted(set(urls))


@pytest.mark.parametrize(
    "flow_class, submit",
    [
        (QuoteApprovalFlow, submitted_quote),
        (SalesOrderFlow, submitted_order),
        (ContractApprovalFlow, submitted_contract),
    ],
    ids=["quote", "order", "contract"],
)
def test_process_urls_answer_404_outside_the_scope(client, org, flow_class, submit):
    document, approver = submit(org)
    tasks = list(
        Task.objects.filter(
            process__artifact_object_id=document.pk, process__flow_class=flow_class
        ).order_by("pk")
    )
    urls = process_urls(flow_class, tasks)
    assert len(urls) > 10  # the walk found the generic task views
    before = [(t.pk, t.status, t.owner_id) for t in tasks]

    client.force_login(org.rep2)  # another branch, no task in this process
    for url in urls:
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code in (404, 405), url
    assert [
        (t.pk, t.status, t.owner_id)
        for t in Task.objects.filter(pk__in=[t.pk for t in tasks]).order_by("pk")
    ] == before

    detail = f"/{PREFIXES[flow_class]}{tasks[0].process_id}/"
    for user in (org.rep, approver):
        client.force_login(user)
        assert client.get(detail).status_code == 200, user
    other_process_task = re.sub(r"/(\d+)/$", "/999999/", urls[0])
    assert client.get(other_process_task).status_code == 404

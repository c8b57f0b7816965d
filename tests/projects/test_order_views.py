"""Order and contract pages: scope (404 outside it), task pages with their
refusals, bad input refused with nothing changed, pinned query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from projects.contracts.services import contract_set_plan
from projects.models import OrderStatus, SalesOrder
from projects.orders import steps as order_flow
from projects.orders.flows import SalesOrderFlow
from tests.factories import make_contract, make_customer, make_employee, make_order

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


def step_of(order):
    return Task.objects.get(
        process__artifact_object_id=order.pk,
        process__flow_class=SalesOrderFlow,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    )


def step_url(task):
    return task.flow_task.reverse("execute", args=[task.process_id, task.pk])


def test_order_pages_are_scoped(client, org):
    order = make_order(org.rep)
    client.force_login(org.rep2)  # another branch
    assert client.get(order.get_absolute_url()).status_code == 404
    assert client.post(reverse("orders:salesorder:submit", args=[order.pk])).status_code == 404
    assert order.number not in client.get(reverse("orders:salesorder:index")).content.decode()
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT

    client.force_login(org.rep)
    page = client.get(reverse("orders:salesorder:index")).content.decode()
    assert order.number in page


def test_direct_order_created_through_the_form_with_lines(client, org):
    from projects.catalogue.demo import seed_products
    from projects.models import Product

    seed_products()
    product = Product.objects.order_by("code").first()
    customer = make_customer(org.rep)
    foreign = make_customer(org.rep2)
    client.force_login(org.rep)
    data = {
        "customer": customer.pk,
        "order_date": "2030-01-02",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": product.pk,
        "lines-0-quantity": "2",
        "lines-0-discount": "10",
    }
    # a customer outside the scope is not a choice
    response = client.post(reverse("orders:salesorder:add"), {**data, "customer": foreign.pk})
    assert response.status_code == 200 and not SalesOrder.objects.exists()
    response = client.post(reverse("orders:salesorder:add"), {**data, "lines-0-quantity": "-1"})
    assert response.status_code == 200 and not SalesOrder.objects.exists()

    response = client.post(reverse("orders:salesorder:add"), data)

    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == order.get_absolute_url()
    line = order.lines.get()
    assert (line.quantity, line.discount, order.owner) == (D("2"), D("10"), org.rep)


def test_secretary_and_finance_walk_an_order_through_the_task_pages(client, org, finance):
    order = make_order(org.rep, quantity=3)
    line = order.lines.get()
    client.force_login(org.rep)
    client.post(reverse("orders:salesorder:submit", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == OrderStatus.BUSINESS_REVIEW

    # the rep cannot act on their own order's step
    response = client.post(step_url(step_of(order)), {"decision": "approve"})
    assert response.status_code == 403
    assert str(order_flow.OWN_ORDER) in response.content.decode()
    # finance is not the business reviewer
    client.force_login(finance)
    response = client.get(step_url(step_of(order)))
    assert str(order_flow.NOT_YOUR_TASK) in response.content.decode()
    response = client.post(step_url(step_of(order)), {"decision": "approve"})
    assert response.status_code == 403

    client.force_login(org.secretary)
    inbox = client.get(reverse("orders:tasks:index")).content.decode()
    assert order.number in inbox
    assert client.post(step_url(step_of(order)), {"decision": "approve"}).status_code == 302
    client.force_login(finance)
    assert client.post(step_url(step_of(order)), {"decision": "approve"}).status_code == 302

    client.force_login(org.secretary)
    task = step_of(order)
    response = client.post(step_url(task), {f"line_{line.pk}": "5", "delivered_on": "2030-01-03"})
    assert response.status_code == 400
    assert "only 3.00 left to deliver" in response.content.decode()
    line.refresh_from_db()
    assert line.delivered_quantity == 0
    response = client.post(step_url(task), {f"line_{line.pk}": "3", "delivered_on": "2030-01-03"})
    assert response.status_code == 302

    client.force_login(finance)
    order.refresh_from_db()
    task = step_of(order)
    response = client.post(
        step_url(task), {"amount": str(order.total + 1), "received_on": "2030-01-04"}
    )
    assert response.status_code == 400 and not order.collections.exists()
    response = client.post(
        step_url(task), {"amount": str(order.total), "received_on": "2030-01-04"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


def test_a_step_page_is_404_for_an_outsider(client, org, finance):
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    client.force_login(org.rep2)
    assert client.get(step_url(step_of(order))).status_code == 404
    assert client.post(step_url(step_of(order)), {"decision": "approve"}).status_code == 404
    process_url = reverse("orders:orderflow:process_detail", args=[step_of(order).process_id])
    assert client.get(process_url).status_code == 404


def test_rejecting_without_a_reason_is_refused(client, org, finance):
    order = make_order(org.rep)
    order_flow.order_flow_submit(order=order, by=org.rep)
    client.force_login(org.secretary)
    response = client.post(step_url(step_of(order)), {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == OrderStatus.BUSINESS_REVIEW


def _order_with_history(org, finance, lines):
    from projects.catalogue.demo import seed_products
    from projects.models import Product
    from projects.orders.services import order_create

    seed_products()
    products = list(Product.objects.order_by("code")[:lines])
    order = order_create(
        by=org.rep,
        customer=make_customer(org.rep),
        lines=[{"product": p, "quantity": 2} for p in products],
    )
    order_flow.order_flow_submit(order=order, by=org.rep)
    order_flow.order_task_act(task_id=step_of(order).pk, by=org.secretary, action="approve")
    order_flow.order_task_act(task_id=step_of(order).pk, by=finance, action="approve")
    for line in order.lines.all():
        order_flow.order_task_act(
            task_id=step_of(order).pk,
            by=org.secretary,
            action="deliver",
            quantities={line.pk: D("1")},
        )
    return order


@pytest.mark.parametrize("lines", [1, 3])
def test_order_detail_query_count_is_pinned(client, org, finance, django_assert_num_queries, lines):
    order = _order_with_history(org, finance, lines)
    client.force_login(org.rep)
    client.get(order.get_absolute_url())
    with django_assert_num_queries(ORDER_DETAIL_QUERIES):
        response = client.get(order.get_absolute_url())
    assert response.status_code == 200


ORDER_DETAIL_QUERIES = 17


def planned_contract(owner, amount=300000, instalments=2):
    contract = make_contract(owner, amount=amount)
    share = D(amount) / instalments
    return contract_set_plan(
        contract=contract,
        by=owner,
        milestones=[{"kind": "delivery", "due_on": "2030-01-01"}],
        instalments=[{"due_on": f"2030-0{i + 1}-01", "amount": share} for i in range(instalments)],
    )


def test_contract_pages_are_scoped(client, org):
    contract = planned_contract(org.rep)
    client.force_login(org.rep2)
    for name in ("detail", "plan"):
        assert client.get(reverse(f"orders:contract:{name}", args=[contract.pk])).status_code == 404
    for name in ("submit", "sign", "record", "payment"):
        url = reverse(f"orders:contract:{name}", args=[contract.pk])
        assert client.post(url).status_code == 404


def test_a_plan_not_adding_up_is_refused_and_nothing_saved(client, org):
    contract = planned_contract(org.rep)
    client.force_login(org.rep)
    data = {
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "instalments-TOTAL_FORMS": "2",
        "instalments-INITIAL_FORMS": "0",
        "instalments-MIN_NUM_FORMS": "1",
        "instalments-MAX_NUM_FORMS": "50",
        "instalments-0-due_on": "2030-01-01",
        "instalments-0-amount": "100000",
        "instalments-1-due_on": "2030-02-01",
        "instalments-1-amount": "100000",
    }
    response = client.post(reverse("orders:contract:plan", args=[contract.pk]), data)
    assert response.status_code == 400
    assert "not the contract amount CNY 300,000.00" in response.content.decode()
    assert list(contract.instalments.values_list("amount", flat=True)) == [
        D("150000.00"),
        D("150000.00"),
    ]
    assert contract.milestones.count() == 1

    data["instalments-1-amount"] = "200000"
    response = client.post(reverse("orders:contract:plan", args=[contract.pk]), data)
    assert response.status_code == 302
    assert contract.instalments.count() == 2 and contract.milestones.count() == 0


def test_contract_submit_sign_record_and_payment_through_the_pages(client, org, finance):
    contract = planned_contract(org.rep)
    client.force_login(org.rep)
    client.post(reverse("orders:contract:submit", args=[contract.pk]))  # no rule: approved
    client.post(reverse("orders:contract:sign", args=[contract.pk]), {"signed_on": "2030-01-01"})
    client.post(
        reverse("orders:contract:record", args=[contract.pk]),
        {"what": "Installed", "done_on": "2030-01-05"},
    )
    contract.refresh_from_db()
    assert contract.status == "signed" and contract.execution_records.count() == 1
    first = contract.instalments.get(sequence=1)
    client.force_login(finance)
    response = client.post(
        reverse("orders:contract:payment", args=[contract.pk]),
        {"instalment": first.pk, "amount": "150000.01"},
        follow=True,
    )
    assert "Only CNY 150,000.00 is still due" in response.content.decode()
    first.refresh_from_db()
    assert first.received_amount == 0
    client.post(
        reverse("orders:contract:payment", args=[contract.pk]),
        {"instalment": first.pk, "amount": "150000"},
    )
    first.refresh_from_db()
    assert first.received_amount == D("150000")


@pytest.mark.parametrize("instalments", [2, 5])
def test_contract_detail_query_count_is_pinned(client, org, django_assert_num_queries, instalments):
    contract = planned_contract(org.rep, instalments=instalments)
    client.force_login(org.rep)
    client.get(contract.get_absolute_url())
    with django_assert_num_queries(CONTRACT_DETAIL_QUERIES):
        response = client.get(contract.get_absolute_url())
    assert response.status_code == 200


CONTRACT_DETAIL_QUERIES = 17


def test_receivables_ageing_page_is_scoped(client, org):
    from projects.contracts.services import (
        contract_sign,
        contract_submit,
    )

    contract = planned_contract(org.rep)
    contract_submit(contract=contract, by=org.rep)
    contract_sign(contract=contract, by=org.rep, signed_on="2030-01-01")
    client.force_login(org.rep)
    page = client.get(reverse("orders:receivables:index")).content.decode()
    assert "300,000.00" in page
    client.force_login(org.rep2)
    page = client.get(reverse("orders:receivables:index")).content.decode()
    assert "300,000.00" not in page


def test_the_task_page_shows_where_the_users_submitted_orders_stand(
    client, org, finance, django_assert_num_queries
):
    # given: two orders the rep submitted, one already past the business review
    first, second = make_order(org.rep), make_order(org.rep)
    for order in (first, second):
        order_flow.order_flow_submit(order=order, by=org.rep)
    order_flow.order_task_act(task_id=step_of(second).pk, by=org.secretary, action="approve")
    url = reverse("orders:tasks:index")

    # when: the rep opens the task page
    client.force_login(org.rep)
    client.get(url)
    with django_assert_num_queries(8) as pinned:
        response = client.get(url)

    # then: both orders, with the step each waits for and who holds it
    started = response.context["started"]
    assert [(t.doc_number, t.flow_task.name, t.owner) for t in started] == [
        (second.number, "finance_review", finance),
        (first.number, "business_review", org.secretary),
    ]
    assert started[0].where_url == f"/orders/orderflow/{started[0].process_id}/"
    assert response.context["tasks"] == []
    # the count does not grow with more submitted orders
    order_flow.order_flow_submit(order=make_order(org.rep), by=org.rep)
    with django_assert_num_queries(len(pinned.captured_queries)):
        assert len(client.get(url).context["started"]) == 3
    # the secretary holds the step but did not submit it
    client.force_login(org.secretary)
    response = client.get(url)
    assert response.context["started"] == []
    assert first.number in response.content.decode()

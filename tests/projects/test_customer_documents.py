"""The customer's 360° page shows the customer's sales orders and contracts
(issue 5, "Panels"): a card whose Turbo frame lists them within the user's
scope, newest first, at a query count that does not grow with the rows."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from customers.panels import customer_panels
from projects.contracts.services import contract_create
from projects.contracts.views_documents import CUSTOMER_DOCUMENTS_SHOWN
from projects.deals.services import opportunity_close
from projects.models import Contract, SalesOrder, Stage
from tests.factories import make_opportunity, make_order
from tests.scope_examples import EXAMPLES

pytestmark = pytest.mark.django_db


def frame_url(customer):
    return reverse("orders:contract:customer", kwargs={"pk": customer.pk})


def customer_url(customer):
    return reverse("customers:customer:detail", kwargs={"pk": customer.pk})


def won_deal(owner, customer):
    deal = make_opportunity(owner, customer=customer)
    opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=owner)
    return deal


def make_contract_for(deal, *, by, title="合同", amount=100000):
    return contract_create(by=by, opportunity=deal, title=title, amount=amount)


def test_the_card_is_registered_after_quotes_and_loads_the_frame(client, org, rep_customer):
    assert [p.key for p in customer_panels if p.key in ("opportunities", "quotes", "orders")] == [
        "opportunities",
        "quotes",
        "orders",
    ]
    client.force_login(org.rep)

    page = client.get(customer_url(rep_customer)).content.decode()

    assert 'id="panel-orders"' in page and 'data-panel="orders"' in page
    assert f'src="{frame_url(rep_customer)}"' in page
    assert f'id="customer-orders-{rep_customer.pk}"' in page


def test_the_frame_lists_only_the_orders_and_contracts_in_scope(client, org, rep_customer):
    # given: the rep's order and contract, the manager's on the same customer
    # (outside the rep's own scope), and documents of other customers
    mine = make_order(org.rep, customer=rep_customer, order_date=date(2030, 1, 2))
    managers = make_order(org.manager, customer=rep_customer)
    my_contract = make_contract_for(won_deal(org.rep, rep_customer), by=org.rep, title="一期合同")
    managers_contract = make_contract_for(
        won_deal(org.manager, rep_customer), by=org.manager, title="经理的合同"
    )
    others = [EXAMPLES[SalesOrder](org.rep), EXAMPLES[Contract](org.rep)]

    # when: the rep opens the frame
    client.force_login(org.rep)
    response = client.get(frame_url(rep_customer))

    # then: the rep's own documents, with their figures, and nothing else
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="customer-orders-{rep_customer.pk}"' in body
    assert [o.pk for o in response.context["orders"]] == [mine.pk]
    assert [c.pk for c in response.context["contracts"]] == [my_contract.pk]
    assert mine.number in body and "2030-01-02" in body and f"{mine.total:,.2f}" in body
    assert mine.get_absolute_url() in body and my_contract.get_absolute_url() in body
    assert "Draft" in body and "一期合同" in body and "100,000.00" in body
    assert managers.number not in body and managers_contract.number not in body
    assert all(other.number not in body for other in others)
    assert f"{reverse('orders:salesorder:add')}?customer={rep_customer.pk}" in body

    # and the manager (department scope) sees both reps' documents
    client.force_login(org.manager)
    response = client.get(frame_url(rep_customer))
    assert {o.pk for o in response.context["orders"]} == {mine.pk, managers.pk}
    assert {c.pk for c in response.context["contracts"]} == {my_contract.pk, managers_contract.pk}


def test_the_frame_is_404_outside_the_customers_scope(client, org, rep_customer):
    order = make_order(org.rep, customer=rep_customer)
    for outsider in (org.rep_b, org.rep2):  # same team with own scope; another branch
        client.force_login(outsider)
        response = client.get(frame_url(rep_customer))
        assert response.status_code == 404
        assert order.number not in response.content.decode()


def test_the_secretary_sees_the_branchs_documents_without_a_new_order_button(
    client, org, rep_customer
):
    order = make_order(org.rep, customer=rep_customer)
    client.force_login(org.secretary)  # branch scope, no add_salesorder
    body = client.get(frame_url(rep_customer)).content.decode()
    assert order.number in body
    assert 'data-testid="new-customer-order"' not in body


def test_newest_first_and_only_the_newest_are_shown(client, org, rep_customer):
    start = date(2030, 1, 1)
    orders = [
        make_order(org.rep, customer=rep_customer, order_date=start + timedelta(days=n))
        for n in range(CUSTOMER_DOCUMENTS_SHOWN + 1)
    ]
    deal = won_deal(org.rep, rep_customer)
    contracts = [
        make_contract_for(deal, by=org.rep, title=f"合同{n:02d}")
        for n in range(CUSTOMER_DOCUMENTS_SHOWN + 1)
    ]
    client.force_login(org.rep)

    response = client.get(frame_url(rep_customer))

    shown = [o.pk for o in response.context["orders"]]
    assert shown == [o.pk for o in reversed(orders)][:CUSTOMER_DOCUMENTS_SHOWN]
    assert orders[0].pk not in shown  # the oldest one is left out
    assert response.context["more_orders"] is True
    shown = [c.pk for c in response.context["contracts"]]
    assert shown == [c.pk for c in reversed(contracts)][:CUSTOMER_DOCUMENTS_SHOWN]
    assert response.context["more_contracts"] is True
    body = response.content.decode()
    assert reverse("orders:salesorder:index") in body and reverse("orders:contract:index") in body


#: session, user, the scope of customers, orders and contracts (one query),
#: customer, orders, contracts, the user's and the groups' permissions
CUSTOMER_DOCUMENTS_QUERIES = 8


def test_the_frames_query_count_is_pinned_and_does_not_grow(
    client, org, rep_customer, django_assert_num_queries
):
    deal = won_deal(org.rep, rep_customer)
    make_order(org.rep, customer=rep_customer)
    make_contract_for(deal, by=org.rep)
    client.force_login(org.rep)
    client.get(frame_url(rep_customer))  # first request of the session
    with django_assert_num_queries(CUSTOMER_DOCUMENTS_QUERIES):
        client.get(frame_url(rep_customer))

    for n in range(8):
        make_order(org.rep, customer=rep_customer, quantity=n + 1)
        make_contract_for(deal, by=org.rep, title=f"合同{n}")

    with django_assert_num_queries(CUSTOMER_DOCUMENTS_QUERIES):
        response = client.get(frame_url(rep_customer))
    assert len(response.context["orders"]) == 9 and len(response.context["contracts"]) == 9


def test_the_card_costs_the_customer_page_no_query(
    client, org, rep_customer, django_assert_max_num_queries, django_assert_num_queries
):
    """The customer page reads nothing for the card: its count is the same
    with or without orders and contracts (tests/customers/test_360.py pins it)."""
    client.force_login(org.rep)
    client.get(customer_url(rep_customer))  # first request of the session
    with django_assert_max_num_queries(17) as captured:
        client.get(customer_url(rep_customer))

    deal = won_deal(org.rep, rep_customer)
    for _ in range(3):
        make_order(org.rep, customer=rep_customer)
        make_contract_for(deal, by=org.rep)

    with django_assert_num_queries(len(captured)):
        page = client.get(customer_url(rep_customer)).content.decode()
    assert f'src="{frame_url(rep_customer)}"' in page


def test_the_document_lists_narrow_to_one_customer_in_scope(client, org, rep_customer):
    # given: the rep's orders for two customers and a quote for one
    from tests.factories import make_customer, make_quote

    other = make_customer(org.rep, name="另一家客户有限公司")
    make_order(org.rep, customer=rep_customer)
    make_order(org.rep, customer=other)
    make_quote(org.rep, opportunity=make_opportunity(org.rep, customer=rep_customer))
    client.force_login(org.rep)

    # when / then: the lists follow ?customer= and keep it while paging
    orders = client.get(reverse("orders:salesorder:index"), {"customer": rep_customer.pk})
    assert {o.customer_id for o in orders.context["orders"]} == {rep_customer.pk}
    assert orders.context["customer"] == rep_customer
    assert 'data-testid="listed-customer"' in orders.content.decode()
    unfiltered = client.get(reverse("orders:salesorder:index"))
    assert {o.customer_id for o in unfiltered.context["orders"]} == {rep_customer.pk, other.pk}
    quotes = client.get(reverse("quotes:quote:index"), {"customer": other.pk})
    assert list(quotes.context["quotes"]) == []
    contracts = client.get(reverse("orders:contract:index"), {"customer": rep_customer.pk})
    assert contracts.status_code == 200 and contracts.context["customer"] == rep_customer

    # and a customer outside the scope answers 404, not an empty list
    hidden = EXAMPLES[type(rep_customer)](org.rep2)
    for name in ("orders:salesorder:index", "orders:contract:index", "quotes:quote:index"):
        assert client.get(reverse(name), {"customer": hidden.pk}).status_code == 404, name

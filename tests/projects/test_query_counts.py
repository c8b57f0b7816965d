"""Pinned query counts of the quote-to-cash pages that list documents: each
page makes the same number of queries with one document as with many."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from projects.contracts.services import (
    contract_set_plan,
    contract_sign,
    contract_submit,
)
from projects.deals.services import opportunity_close
from projects.models import Stage
from projects.orders import steps as order_flow
from projects.quotes.services import quote_submit
from tests.factories import make_contract, make_employee, make_opportunity, make_order, make_quote
from tests.projects.approval_helpers import make_quote_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


def signed_contract(owner, finance):
    contract = make_contract(owner, amount=1000)
    contract_set_plan(
        contract=contract,
        by=owner,
        milestones=[{"kind": "delivery", "due_on": "2020-01-01"}],
        instalments=[
            {"due_on": "2020-01-01", "amount": Decimal("600")},
            {"due_on": "2030-01-01", "amount": Decimal("400")},
        ],
    )
    contract = contract_submit(contract=contract, by=owner)  # no rule: approved
    return contract_sign(contract=contract, by=owner, signed_on="2020-01-01")


def documents(org, finance, deal):
    """One more of each document: a quote waiting for the manager, a submitted
    order, a signed contract."""
    quote = make_quote(org.rep, opportunity=deal, discount=15)
    quote_submit(quote=quote, by=org.rep)
    order = make_order(org.rep, customer=deal.customer, opportunity=deal)
    order_flow.order_flow_submit(order=order, by=org.rep)
    signed_contract(org.rep, finance)


def pinned(client, url, add_more, django_assert_num_queries, *, expected):
    client.get(url)  # the session and the permission caches warm up
    with django_assert_num_queries(expected):
        first = client.get(url)
    assert first.status_code == 200
    add_more()
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    "user, name, expected",
    [
        ("rep", "quotes:quote:index", 6),
        ("rep", "orders:salesorder:index", 6),
        ("rep", "orders:contract:index", 6),
        ("rep", "orders:receivables:index", 6),
        ("manager", "quotes:inbox:index", 5),
        ("manager", "quotes:queue:index", 5),
        ("rep", "quotes:archive:index", 5),
        ("secretary", "orders:tasks:index", 8),
        ("rep", "deal-documents", 9),
    ],
)
def test_document_pages_do_not_grow_with_the_documents(
    client, org, finance, processes, django_assert_num_queries, user, name, expected
):
    make_quote_rules()
    deal = make_opportunity(org.rep)
    documents(org, finance, deal)
    if name == "deal-documents":
        opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=org.rep)
        url = reverse("orders:contract:deal", kwargs={"pk": deal.pk})
    else:
        url = reverse(name)
    client.force_login(getattr(org, user))
    pinned(
        client,
        url,
        lambda: [documents(org, finance, deal) for _ in range(2)],
        django_assert_num_queries,
        expected=expected,
    )

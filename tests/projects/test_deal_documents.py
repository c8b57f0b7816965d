"""The deal page's quotes, orders and contracts, and contracts made from a deal."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from projects.deals.services import opportunity_close
from projects.models import Contract, QuoteStatus, Stage
from projects.orders.services import order_create
from tests.factories import make_opportunity, make_quote

pytestmark = pytest.mark.django_db


def documents_url(deal):
    return reverse("orders:contract:deal", kwargs={"pk": deal.pk})


def test_the_deal_shows_its_documents_in_scope_only(client, org, processes):
    deal = make_opportunity(org.rep)
    quote = make_quote(org.rep, opportunity=deal)
    type(quote).objects.filter(pk=quote.pk).update(status=QuoteStatus.APPROVED)
    order = order_create(by=org.rep, quote=quote)
    client.force_login(org.rep)
    page = client.get(documents_url(deal)).content.decode()
    assert quote.number in page and order.number in page
    assert reverse("orders:salesorder:add") in page  # an order from the approved quote
    assert f"?opportunity={deal.pk}" in page  # a new quote for the deal
    deal_page = client.get(deal.get_absolute_url()).content.decode()
    assert documents_url(deal) in deal_page

    for outsider in (org.rep_b, org.rep2):
        client.force_login(outsider)
        assert client.get(documents_url(deal)).status_code == 404


def test_a_contract_is_made_from_a_won_deal_only(client, org, processes):
    deal = make_opportunity(org.rep)
    client.force_login(org.rep)
    response = client.post(reverse("orders:contract:add"), {"opportunity": deal.pk})
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Contracts are made from won deals or approved quotes."
    ]
    assert not Contract.objects.exists()

    opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=org.rep)
    response = client.post(
        reverse("orders:contract:add"), {"opportunity": deal.pk, "title": "一期合同"}
    )
    contract = Contract.objects.get()
    assert response.url == reverse("orders:contract:plan", kwargs={"pk": contract.pk})
    assert (contract.title, contract.amount, contract.owner) == (
        "一期合同",
        deal.expected_amount,
        org.rep,
    )

    client.force_login(org.rep2)
    response = client.post(reverse("orders:contract:add"), {"opportunity": deal.pk})
    assert response.status_code == 404
    assert Contract.objects.count() == 1

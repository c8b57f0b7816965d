"""Competitor pages: the deal page's competition frame (scoped, 404 for a deal
the user does not see, 403 for changing without the right to work the deal),
the profiles, competitive orders and the analysis with its xlsx, each with a
pinned query count that does not grow with the rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from competitors import services
from competitors.models import CompetitiveOrder, DealCompetitor
from projects.deals.services import member_add
from tests.competitors.conftest import lose
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db

EXP_FRAME, EXP_LIST, EXP_DETAIL, EXP_ORDERS, EXP_ANALYSIS = 8, 5, 10, 8, 11
EXP_CUSTOMER = 7


def pinned(client, url, add_more, django_assert_num_queries, *, expected):
    client.get(url)  # the session and permission caches warm up
    with django_assert_num_queries(expected):
        assert client.get(url).status_code == 200
    add_more()
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


def test_the_deal_page_shows_the_competition_frame(client, org, rep_deal):
    client.force_login(org.rep)
    response = client.get(rep_deal.get_absolute_url())
    assert response.status_code == 200
    assert reverse("competitors:deal", kwargs={"pk": rep_deal.pk}) in response.content.decode()


def test_the_competition_frame_is_scoped_and_does_not_grow(
    client, org, rivals, rep_deal, django_assert_num_queries
):
    url = reverse("competitors:deal", kwargs={"pk": rep_deal.pk})
    client.force_login(org.rep2)
    assert client.get(url).status_code == 404
    assert client.post(url, {"competitor": rivals[0].pk}).status_code == 404
    client.force_login(org.rep)
    services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=None)

    def more():
        for rival in rivals[1:]:
            services.deal_competitor_add(opportunity=rep_deal, competitor=rival, by=None)

    response = pinned(client, url, more, django_assert_num_queries, expected=EXP_FRAME)
    assert response.content.decode().count("data-entry=") == 3


def test_adding_changing_and_the_winner_on_the_frame(client, org, rivals, rep_deal):
    url = reverse("competitors:deal", kwargs={"pk": rep_deal.pk})
    client.force_login(org.rep)
    response = client.post(
        url, {"competitor": rivals[0].pk, "quote_amount": "150000", "threat": "high"}
    )
    assert response.status_code == 302
    entry = DealCompetitor.objects.get()
    assert (entry.threat, entry.quote_amount) == ("high", Decimal("150000"))
    bad = client.post(url, {"competitor": rivals[1].pk, "quote_amount": "-1", "threat": "low"})
    assert bad.status_code == 400
    assert DealCompetitor.objects.count() == 1
    prefix = f"e{entry.pk}"
    winner = {"entry": entry.pk, f"{prefix}-threat": "high", f"{prefix}-won_deal": "on"}
    refused = client.post(url, winner)
    assert refused.status_code == 400
    assert "Only a lost deal" in refused.content.decode()
    lose(rep_deal)
    assert client.post(url, winner).status_code == 302
    entry.refresh_from_db()
    assert entry.won_deal
    assert client.post(url, {"entry": entry.pk, "remove": "1"}).status_code == 302
    assert not DealCompetitor.objects.exists()


def test_a_member_who_may_not_work_the_deal_sees_but_cannot_change(client, org, rivals, rep_deal):
    member_add(opportunity=rep_deal, user=org.rep_b, role="presales", by=None)
    services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=None)
    url = reverse("competitors:deal", kwargs={"pk": rep_deal.pk})
    client.force_login(org.rep_b)
    page = client.get(url)
    assert page.status_code == 200
    assert 'data-testid="add-competitor"' not in page.content.decode()
    assert client.post(url, {"competitor": rivals[1].pk, "threat": "low"}).status_code == 403
    assert DealCompetitor.objects.count() == 1


def test_profiles_and_prices_do_not_grow_and_hide_other_deals_prices(
    client, org, rivals, rep_deal, django_assert_num_queries
):
    product = services.competitor_product_create(competitor=rivals[0], name="A1", by=None)
    services.price_observe(
        product=product,
        price=Decimal("900"),
        observed_on=date(2026, 1, 1),
        by=None,
        opportunity=rep_deal,
        source="标书",
    )
    client.force_login(org.rep)

    def more():
        for day in range(2, 6):
            services.price_observe(
                product=product, price=Decimal("800"), observed_on=date(2026, 1, day), by=None
            )
            services.competitor_create(by=None, name=f"对手{day}")

    detail = reverse("competitors:detail", kwargs={"pk": rivals[0].pk})
    pinned(
        client,
        reverse("competitors:profiles:index"),
        lambda: None,
        django_assert_num_queries,
        expected=EXP_LIST,
    )
    response = pinned(client, detail, more, django_assert_num_queries, expected=EXP_DETAIL)
    assert response.content.decode().count("data-price=") == 5
    client.force_login(org.rep2)
    assert client.get(detail).content.decode().count("data-price=") == 4
    response = client.post(
        detail, {"product": product.pk, "price": "700", "observed_on": "2026-02-01", "source": "x"}
    )
    assert response.status_code == 302


def test_competitive_orders_list_and_create_in_the_scope(
    client, org, rivals, django_assert_num_queries
):
    customer = make_customer(org.rep)
    url = reverse("competitors:orders")
    client.force_login(org.rep)
    response = client.post(
        url,
        {
            "customer_id": customer.pk,
            "competitor": rivals[0].pk,
            "amount": "80000",
            "won_on": "2026-05-01",
        },
    )
    assert response.status_code == 302

    def more():
        for _ in range(3):
            services.competitive_order_create(
                customer=customer,
                competitor=rivals[1],
                amount=Decimal("10"),
                won_on=date(2026, 1, 1),
                by=None,
            )

    response = pinned(client, url, more, django_assert_num_queries, expected=EXP_ORDERS)
    assert response.content.decode().count("data-order=") == 4
    client.force_login(org.rep2)
    assert client.get(url).content.decode().count("data-order=") == 0
    refused = client.post(
        url,
        {
            "customer_id": customer.pk,
            "competitor": rivals[0].pk,
            "amount": "1",
            "won_on": "2026-05-01",
        },
    )
    assert refused.status_code == 404
    assert CompetitiveOrder.objects.count() == 4


def test_the_analysis_and_its_export_are_scoped_and_do_not_grow(
    client, org, rivals, django_assert_num_queries
):
    deal = make_opportunity(org.rep)
    services.deal_competitor_add(opportunity=deal, competitor=rivals[0], by=None)
    lose(deal)
    hidden = make_opportunity(org.rep2)
    services.deal_competitor_add(opportunity=hidden, competitor=rivals[2], by=None)
    product = services.competitor_product_create(competitor=rivals[0], name="=A1", by=None)
    services.price_observe(
        product=product, price=Decimal("100"), observed_on=date(2026, 1, 3), by=None
    )
    services.price_observe(
        product=product, price=Decimal("300"), observed_on=date(2026, 1, 9), by=None
    )
    services.price_observe(
        product=product,
        price=Decimal("999"),
        observed_on=date(2026, 1, 9),
        by=None,
        opportunity=hidden,
    )
    url = reverse("competitors:analysis")
    client.force_login(org.rep)

    def more():
        for rival in rivals[:2]:
            other = make_opportunity(org.rep)
            services.deal_competitor_add(
                opportunity=other, competitor=rival, by=None, strategy="=HYPERLINK(1)"
            )

    response = pinned(client, url, more, django_assert_num_queries, expected=EXP_ANALYSIS)
    page = response.content.decode()
    assert f'data-competitor="{rivals[0].pk}"' in page
    assert f'data-competitor="{rivals[2].pk}"' not in page
    export = client.get(url, {"format": "xlsx", "branch": org.east.pk})
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(export.content)).worksheets[0]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert set(names) == {"甲公司", "乙公司"}
    prices = load_workbook(BytesIO(export.content))["Prices"]
    assert list(prices.iter_rows(min_row=2, values_only=True)) == [
        ("甲公司", "'=A1", "2026-01", 200, 100, 300, 2)
    ]
    client.force_login(org.rep2)
    page = client.get(url).content.decode()
    assert f'data-competitor="{rivals[0].pk}"' not in page


def test_the_pages_speak_chinese(org, rivals, rep_deal):
    from django.test import Client

    services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=None)
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(org.rep)
    pages = {
        reverse("competitors:deal", kwargs={"pk": rep_deal.pk}): "威胁程度",
        reverse("competitors:profiles:index"): "优势",
        reverse("competitors:detail", kwargs={"pk": rivals[0].pk}): "竞争产品价格",
        reverse("competitors:orders"): "登记竞争订单",
        reverse("competitors:analysis"): "我方赢单率",
        rep_deal.get_absolute_url(): "竞争情况",
    }
    for url, text in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url


def test_the_customer_page_shows_its_competitive_orders_in_a_scoped_frame(
    client, org, rivals, django_assert_num_queries
):
    customer = make_customer(org.rep)
    url = reverse("competitors:customer_orders", kwargs={"pk": customer.pk})

    def record():
        services.competitive_order_create(
            customer=customer,
            competitor=rivals[0],
            amount=Decimal("10"),
            won_on=date(2026, 1, 1),
            by=None,
        )

    record()
    client.force_login(org.rep)
    assert url in client.get(customer.get_absolute_url()).content.decode()
    response = pinned(
        client,
        url,
        lambda: [record() for _ in range(3)],
        django_assert_num_queries,
        expected=EXP_CUSTOMER,
    )
    assert response.content.decode().count("data-order=") == 4
    page = client.get(reverse("competitors:orders"), {"customer": customer.pk}).content.decode()
    assert customer.name in page
    client.force_login(org.rep2)
    assert client.get(url).status_code == 404
    assert client.get(reverse("competitors:orders"), {"customer": customer.pk}).status_code == 404

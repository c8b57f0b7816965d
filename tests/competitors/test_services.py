"""Competitors (CMP-1..3, OPP-9): profiles with history, observed prices seen
only with their deal, competition on a deal within the deal's scope and
rights, one winning competitor on a lost deal, competitive orders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from competitors import selectors, services
from competitors.models import CompetitiveOrder, DealCompetitor, PriceObservation
from projects.deals.services import member_add
from tests.competitors.conftest import lose
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db


def test_a_profile_keeps_its_history(rivals):
    rival = services.competitor_update(competitor=rivals[0], by=None, weaknesses="交付慢")
    assert rival.weaknesses == "交付慢"
    assert rival.history.count() == 2


def test_prices_on_a_deal_are_seen_only_with_the_deal(org, rivals, rep_deal):
    product = services.competitor_product_create(competitor=rivals[0], name="A1 打印机", by=None)
    public = services.price_observe(
        product=product, price=Decimal("9800"), observed_on=date(2026, 1, 5), by=org.rep
    )
    on_deal = services.price_observe(
        product=product,
        price=Decimal("9500"),
        observed_on=date(2026, 2, 5),
        by=org.rep,
        opportunity=rep_deal,
    )
    assert set(selectors.price_observations(user=org.rep)) == {public, on_deal}
    assert set(selectors.price_observations(user=org.rep2)) == {public}
    with pytest.raises(Http404):
        services.price_observe(
            product=product,
            price=Decimal("1"),
            observed_on=date(2026, 2, 5),
            by=org.rep2,
            opportunity=rep_deal,
        )
    with pytest.raises(ValidationError):
        services.price_observe(
            product=product, price=Decimal("0"), observed_on=date.today(), by=None
        )
    assert PriceObservation.objects.count() == 2


def test_competition_on_a_deal_needs_the_deal_and_the_right_to_work_it(org, rivals, rep_deal):
    entry = services.deal_competitor_add(
        opportunity=rep_deal, competitor=rivals[0], by=org.rep, quote_amount=Decimal("180000")
    )
    assert entry.threat == "medium"
    with pytest.raises(Http404):
        services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[1], by=org.rep2)
    member_add(opportunity=rep_deal, user=org.rep_b, role="presales", by=None)
    with pytest.raises(PermissionDenied):  # sees the deal as pre-sales, may not work it
        services.deal_competitor_update(entry=entry, by=org.rep_b, threat="high")
    with pytest.raises(ValidationError):
        services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=org.rep)
    services.deal_competitor_update(entry=entry, by=org.manager, threat="high")
    entry.refresh_from_db()
    assert entry.threat == "high"
    assert entry.history.count() == 2


def test_only_a_lost_deal_has_one_winning_competitor(org, rivals, rep_deal):
    first = services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=org.rep)
    second = services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[1], by=org.rep)
    with pytest.raises(ValidationError):
        services.deal_competitor_update(entry=first, by=org.rep, won_deal=True)
    lose(rep_deal)
    services.deal_competitor_update(entry=first, by=org.rep, won_deal=True)
    services.deal_competitor_update(entry=second, by=org.rep, won_deal=True)
    assert list(DealCompetitor.objects.filter(won_deal=True)) == [second]


def test_competitive_orders_are_seen_with_their_customer(org, rivals):
    customer = make_customer(org.rep)
    order = services.competitive_order_create(
        customer=customer,
        competitor=rivals[0],
        amount=Decimal("50000"),
        won_on=date(2026, 3, 1),
        by=org.rep,
    )
    assert list(selectors.competitive_orders(user=org.rep)) == [order]
    assert list(selectors.competitive_orders(user=org.rep2)) == []
    with pytest.raises(Http404):
        services.competitive_order_create(
            customer=customer,
            competitor=rivals[0],
            amount=Decimal("1"),
            won_on=date(2026, 3, 1),
            by=org.rep2,
        )
    with pytest.raises(ValidationError):
        services.competitive_order_create(
            customer=customer,
            competitor=rivals[0],
            amount=Decimal("-5"),
            won_on=date(2026, 3, 1),
            by=org.rep,
        )
    assert CompetitiveOrder.objects.count() == 1


def test_the_analysis_counts_wins_losses_and_shares_in_the_scope(org, rivals):
    from competitors.selectors import AnalysisFilter, competitor_analysis
    from tests.competitors.conftest import win

    deals = [make_opportunity(org.rep) for _ in range(4)]
    for deal in deals[:3]:
        services.deal_competitor_add(opportunity=deal, competitor=rivals[0], by=None)
    services.deal_competitor_add(opportunity=deals[0], competitor=rivals[1], by=None)
    win(deals[0])
    lose(deals[1])
    services.deal_competitor_update(
        entry=DealCompetitor.objects.get(opportunity=deals[1]), by=None, won_deal=True
    )
    other = make_opportunity(org.rep2)
    services.deal_competitor_add(opportunity=other, competitor=rivals[2], by=None)

    result = competitor_analysis(user=org.rep, filters=AnalysisFilter())
    assert result["total"] == 4
    rows = {row.name: row for row in result["competitors"]}
    assert set(rows) == {"甲公司", "乙公司"}  # 丙公司 only on a deal rep does not see
    assert (rows["甲公司"].deals, rows["甲公司"].won, rows["甲公司"].lost) == (3, 1, 1)
    assert rows["甲公司"].win_rate == 0.5
    assert rows["甲公司"].share == 0.75
    assert rows["甲公司"].lost_to_them == 1
    assert [r["competitor__name"] for r in result["reasons"]] == ["甲公司"]
    assert competitor_analysis(user=org.rep, filters=AnalysisFilter(band="l"))["total"] == 0


def test_closing_as_lost_records_the_winning_competitor_through_the_hook(org, rivals, rep_deal):
    from projects.deals.services import opportunity_close
    from projects.models import LossReason

    services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=org.rep)
    opportunity_close(
        opportunity=rep_deal,
        outcome="lost",
        by=org.rep,
        loss_reason=LossReason.objects.order_by("order").first(),
        data={"winning_competitor": rivals[1].pk},
    )
    winners = DealCompetitor.objects.filter(opportunity=rep_deal, won_deal=True)
    assert [entry.competitor for entry in winners] == [rivals[1]]
    assert DealCompetitor.objects.filter(opportunity=rep_deal).count() == 2


def test_closing_without_a_winner_changes_nothing_here(org, rivals, rep_deal):
    services.deal_competitor_add(opportunity=rep_deal, competitor=rivals[0], by=org.rep)
    lose(rep_deal)
    assert not DealCompetitor.objects.filter(won_deal=True).exists()

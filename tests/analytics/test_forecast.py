"""Forecast (ANA-2) and team activity (ANA-4) figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.activity import activity_figures
from analytics.forecast import forecast_figures
from analytics.models import Snapshot
from analytics.periods import Period
from customers.models import FollowUp
from projects.deals.services import (
    opportunity_close,
    opportunity_move,
)
from projects.models import Opportunity
from tests.analytics.conftest import local
from tests.factories import make_customer, make_follow_up, make_opportunity

pytestmark = pytest.mark.django_db

H1 = Period(date(2025, 1, 1), date(2025, 7, 1))


@pytest.fixture
def pipeline(org, stages):
    """Open deals closing in Jan (two) and Mar 2025, one in Aug (outside),
    one won in Feb and one won the year before; rep2's deal in Jan."""

    def deal(owner, amount, close, stage="lead", at=date(2024, 11, 1)):
        return make_opportunity(
            owner,
            stage=stages[stage],
            at=local(at),
            expected_amount=Decimal(amount),
            expected_close_date=close,
        )

    deal(org.rep, "100000", date(2025, 1, 15))  # lead, 10 %
    deal(org.rep_b, "50000", date(2025, 1, 31), stage="tender")  # 60 %
    deal(org.rep, "200000", date(2025, 3, 1), stage="negotiation")  # 80 %
    deal(org.rep, "999999", date(2025, 8, 1))  # outside the period
    won = deal(org.rep, "300000", date(2025, 2, 1), stage="negotiation")
    opportunity_close(opportunity=won, outcome="won", by=org.rep, at=local(date(2025, 2, 20)))
    old = deal(org.rep, "70000", date(2024, 12, 1), stage="negotiation")
    opportunity_close(opportunity=old, outcome="won", by=org.rep, at=local(date(2024, 12, 20)))
    deal(org.rep2, "400000", date(2025, 1, 20))


def test_weighted_amounts_by_month_and_stage_and_the_won_amount(org, pipeline, stages):
    team = Opportunity.objects.filter(department=org.team1)
    figures = forecast_figures(opportunities=team, period=H1)
    assert figures["months"] == [
        {
            "month": "2025-01",
            "count": 2,
            "amount": "150000.00",
            "weighted": "40000.00",  # 100000 × 10 % + 50000 × 60 %
            "won_count": 0,
            "won_amount": "0.00",
        },
        {
            "month": "2025-02",
            "count": 0,
            "amount": "0.00",
            "weighted": "0.00",
            "won_count": 1,
            "won_amount": "300000.00",
        },
        {
            "month": "2025-03",
            "count": 1,
            "amount": "200000.00",
            "weighted": "160000.00",
            "won_count": 0,
            "won_amount": "0.00",
        },
    ]
    assert [(s["stage"], s["count"], s["weighted"]) for s in figures["stages"]] == [
        (stages["lead"].pk, 1, "10000.00"),
        (stages["tender"].pk, 1, "30000.00"),
        (stages["negotiation"].pk, 1, "160000.00"),
    ]
    assert figures["totals"] == {
        "count": 3,
        "amount": "350000.00",
        "weighted": "200000.00",
        "won_count": 1,
        "won_amount": "300000.00",
    }


def test_the_forecast_uses_each_deal_s_own_probability(org, pipeline, stages):
    deal = Opportunity.objects.get(expected_amount=Decimal("100000"))
    opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep, probability=35)
    figures = forecast_figures(opportunities=Opportunity.objects.filter(pk=deal.pk), period=H1)
    assert figures["totals"]["weighted"] == "35000.00"


def test_forecast_page_scoped_to_the_rep(client, org, pipeline):
    client.force_login(org.rep)
    response = client.get(
        reverse("analytics:forecast:index"), {"start": "2025-01-01", "end": "2025-07-01"}
    )
    html = response.content.decode()
    assert 'data-testid="forecast-chart"' in html
    # The rep's own deals: January's 100,000 at 10 % and March's 200,000 at 80 %.
    assert 'data-total="count">2<' in html
    assert 'data-total="weighted">CNY 170,000.00<' in html
    assert 'data-total="won_amount">CNY 300,000.00<' in html
    assert Snapshot.objects.get().scope_key == f"owner:{org.rep.pk}"


def test_team_activity_counts_follow_ups_per_rep(org):
    now = timezone.now()
    customer = make_customer(org.rep)
    for days in (1, 3, 10, 29, 40):
        make_follow_up(customer, by=org.rep, occurred_at=now - timedelta(days=days))
    make_follow_up(make_customer(org.rep_b), by=org.rep_b, occurred_at=now - timedelta(days=20))
    make_follow_up(make_customer(org.rep2), by=org.rep2, occurred_at=now - timedelta(days=2))
    team = FollowUp.objects.filter(department__in=[org.team1])
    figures = activity_figures(follow_ups=team, now=now)
    assert [(r["user"], r["last_7"], r["last_30"]) for r in figures["reps"]] == [
        (org.rep.pk, 2, 4),
        (org.rep_b.pk, 0, 1),
    ]
    assert figures["totals"] == {"last_7": 2, "last_30": 5}

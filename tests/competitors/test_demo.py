"""The competitor demo: five competitors, a year of prices, competition on
the deals with winners on lost ones, competitive orders; seeding again adds nothing."""

import pytest

from competitors.demo import seed_all
from competitors.models import (
    CompetitiveOrder,
    Competitor,
    DealCompetitor,
    PriceObservation,
)
from projects.catalogue.demo import seed_products
from projects.models import Opportunity
from tests.competitors.conftest import lose
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_competitors_prices_and_competition_once(org):
    seed_products()
    deals = [make_opportunity(org.rep) for _ in range(12)]
    for deal in deals[:6]:
        lose(deal)
    counts = seed_all(Opportunity.objects.all())
    assert Competitor.objects.count() == 5
    assert counts["prices"] == 10 * 12
    months = {
        d.strftime("%Y-%m") for d in PriceObservation.objects.values_list("observed_on", flat=True)
    }
    assert len(months) >= 11
    assert DealCompetitor.objects.exists()
    assert DealCompetitor.objects.filter(won_deal=True, opportunity__status="lost").exists()
    assert (
        not DealCompetitor.objects.filter(won_deal=True)
        .exclude(opportunity__status="lost")
        .exists()
    )
    assert CompetitiveOrder.objects.exists()

    before = (
        Competitor.objects.count(),
        PriceObservation.objects.count(),
        DealCompetitor.objects.count(),
        CompetitiveOrder.objects.count(),
    )
    seed_all(Opportunity.objects.all())
    assert before == (
        Competitor.objects.count(),
        PriceObservation.objects.count(),
        DealCompetitor.objects.count(),
        CompetitiveOrder.objects.count(),
    )

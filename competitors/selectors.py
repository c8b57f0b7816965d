"""Reads of competitor data (CMP-1..4), always within the reader's scope.

Profiles and products are company-wide. A price observed on a deal, the
competition on a deal, a competitive order at a customer and every figure of
the analysis are read through ``Opportunity.objects.visible_to(user)`` /
``Customer.objects.visible_to(user)``; the analysis is SQL aggregates only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Count, Exists, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from competitors.models import (
    CompetitiveOrder,
    Competitor,
    CompetitorProduct,
    DealCompetitor,
    PriceObservation,
)
from crm.scope import access_object
from customers.models import Customer
from projects.models import Opportunity, OpportunityProduct, Stage


def competitor_list(*, active_only: bool = False) -> QuerySet[Competitor]:
    queryset = Competitor.objects.all()
    return queryset.filter(is_active=True) if active_only else queryset


def access_competitor(*, pk) -> Competitor:
    """Reference data: every employee with the view permission sees every profile."""
    return get_object_or_404(Competitor.objects.prefetch_related("products"), pk=pk)


def price_observations(
    *,
    user,
    product: CompetitorProduct | None = None,
    competitor: Competitor | None = None,
    limit: int = 50,
):
    """Observed prices: those tied to no deal, and those of deals ``user`` sees."""
    queryset = PriceObservation.objects.filter(
        Q(opportunity__isnull=True)
        | Q(opportunity_id__in=Opportunity.objects.visible_to(user).values("pk"))
    ).select_related("product__competitor")
    if product is not None:
        queryset = queryset.filter(product=product)
    if competitor is not None:
        queryset = queryset.filter(product__competitor=competitor)
    return queryset.order_by("-observed_on", "-id")[:limit]


def access_deal(*, user, pk) -> Opportunity:
    """The deal ``pk`` if ``user`` sees it, else 404."""
    return access_object(Opportunity.objects.select_related("stage"), user=user, pk=pk)


def deal_competition(*, deal: Opportunity) -> list[DealCompetitor]:
    """The competitors on a deal the caller has already accessed."""
    return list(
        DealCompetitor.objects.filter(opportunity_id=deal.pk)
        .select_related("competitor")
        .order_by("competitor__name", "id")
    )


def competitive_orders(*, user) -> QuerySet[CompetitiveOrder]:
    return (
        CompetitiveOrder.objects.filter(
            customer_id__in=Customer.objects.visible_to(user).values("pk")
        )
        .select_related("customer", "competitor", "product")
        .order_by("-won_on", "-id")
    )


# --- Analysis (CMP-4) -------------------------------------------------------

#: At most this many (product, month) rows of the price trend.
PRICE_ROWS = 240

#: Amount bands of the analysis filter: key -> (label, from, below).
AMOUNT_BANDS = {
    "s": (_("Below 100,000"), None, Decimal("100000")),
    "m": (_("100,000 to 1,000,000"), Decimal("100000"), Decimal("1000000")),
    "l": (_("1,000,000 and above"), Decimal("1000000"), None),
}


@dataclass(frozen=True)
class AnalysisFilter:
    date_from: date | None = None
    date_to: date | None = None
    branch_id: int | None = None
    product_id: int | None = None
    industry: str = ""
    band: str = ""


def analysis_deals(*, user, filters: AnalysisFilter) -> QuerySet[Opportunity]:
    """Our deals in ``user``'s scope matching the filters (period: created)."""
    deals = Opportunity.objects.visible_to(user)
    if filters.date_from:
        deals = deals.filter(created_at__date__gte=filters.date_from)
    if filters.date_to:
        deals = deals.filter(created_at__date__lte=filters.date_to)
    if filters.branch_id:
        deals = deals.filter(branch_id=filters.branch_id)
    if filters.industry:
        deals = deals.filter(customer__industry=filters.industry)
    if filters.product_id:
        deals = deals.filter(
            Exists(
                OpportunityProduct.objects.filter(
                    opportunity_id=OuterRef("pk"), product_id=filters.product_id
                )
            )
        )
    if filters.band in AMOUNT_BANDS:
        _label, low, high = AMOUNT_BANDS[filters.band]
        if low is not None:
            deals = deals.filter(expected_amount__gte=low)
        if high is not None:
            deals = deals.filter(expected_amount__lt=high)
    return deals


@dataclass
class CompetitorRow:
    competitor_id: int
    name: str
    deals: int
    won: int
    lost: int
    lost_to_them: int
    share: float | None  # of our deals they appear in
    win_rate: float | None  # our won / (won + lost) where they appeared


def competitor_analysis(*, user, filters: AnalysisFilter) -> dict:
    """Per competitor: deals they appear in, our wins and losses there, the
    share of our deals, our win rate against them; and the loss reasons per
    competitor. Three queries whatever the number of deals."""
    deals = analysis_deals(user=user, filters=filters)
    ids = deals.values("pk")
    total = deals.count()
    entries = DealCompetitor.objects.filter(opportunity_id__in=ids)
    rows = (
        entries.values("competitor_id", "competitor__name")
        .annotate(
            deals=Count("id"),
            won=Count("id", filter=Q(opportunity__status=Stage.Kind.WON)),
            lost=Count("id", filter=Q(opportunity__status=Stage.Kind.LOST)),
            lost_to_them=Count("id", filter=Q(won_deal=True)),
        )
        .order_by("-deals", "competitor__name")
    )
    competitors = [
        CompetitorRow(
            competitor_id=row["competitor_id"],
            name=row["competitor__name"],
            deals=row["deals"],
            won=row["won"],
            lost=row["lost"],
            lost_to_them=row["lost_to_them"],
            share=row["deals"] / total if total else None,
            win_rate=row["won"] / (row["won"] + row["lost"]) if row["won"] + row["lost"] else None,
        )
        for row in rows
    ]
    reasons = list(
        entries.filter(opportunity__status=Stage.Kind.LOST)
        .values(
            "competitor__name",
            "opportunity__loss_reason__name",
            "opportunity__loss_reason__name_en",
        )
        .annotate(count=Count("id"))
        .order_by("competitor__name", "-count")
    )
    return {
        "total": total,
        "competitors": competitors,
        "reasons": reasons,
        "prices": price_trend(user=user, filters=filters),
    }


def price_trend(*, user, filters: AnalysisFilter) -> list[dict]:
    """Average observed price per competing product and month (the prices
    the user may see), within the period and for the chosen product of ours."""
    queryset = PriceObservation.objects.filter(
        Q(opportunity__isnull=True)
        | Q(opportunity_id__in=Opportunity.objects.visible_to(user).values("pk"))
    )
    if filters.date_from:
        queryset = queryset.filter(observed_on__gte=filters.date_from)
    if filters.date_to:
        queryset = queryset.filter(observed_on__lte=filters.date_to)
    if filters.product_id:
        queryset = queryset.filter(product__our_product_id=filters.product_id)
    return list(
        queryset.annotate(month=TruncMonth("observed_on"))
        .values("product__competitor__name", "product__name", "month")
        .annotate(average=Avg("price"), low=Min("price"), high=Max("price"), count=Count("id"))
        .order_by("product__competitor__name", "product__name", "month")[:PRICE_ROWS]
    )

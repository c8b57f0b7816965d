"""The sales forecast (ANA-2): Σ expected amount × probability of the open
deals expected to close in the period, by month and by stage, beside the
amount actually won in the period. Three aggregate queries over the scoped
deals; amounts are kept as strings of exact decimals."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics.periods import Period
from projects.models import Opportunity, Stage

CENT = Decimal("0.01")
ZERO = Decimal("0")

WEIGHTED = ExpressionWrapper(
    F("expected_amount") * F("probability") / Decimal(100),
    output_field=DecimalField(max_digits=20, decimal_places=4),
)


def _money(value) -> str:
    return str((value or ZERO).quantize(CENT))


def forecast_figures(
    *, opportunities: QuerySet | None, period: Period, process_id: int | None = None
) -> dict:
    deals = Opportunity.objects.all() if opportunities is None else opportunities
    deals = deals.order_by()
    if process_id is not None:
        deals = deals.filter(process_id=process_id)
    expected = deals.filter(
        status=Stage.Kind.OPEN,
        expected_close_date__gte=period.start,
        expected_close_date__lt=period.end,
    )
    measures = {
        "count": Count("id"),
        "amount": Sum("expected_amount"),
        "weighted": Sum(WEIGHTED),
    }
    by_month = (
        expected.annotate(month=TruncMonth("expected_close_date"))
        .values("month")
        .annotate(**measures)
        .order_by("month")
    )
    by_stage = (
        expected.values(
            "stage_id",
            "stage__name",
            "stage__name_en",
            "stage__order",
            "process_id",
            "process__order",
        )
        .annotate(**measures)
        .order_by("process__order", "process_id", "stage__order")
    )
    won_by_month = (
        deals.filter(
            status=Stage.Kind.WON, closed_at__gte=period.start_at, closed_at__lt=period.end_at
        )
        .annotate(month=TruncMonth("closed_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(count=Count("id"), amount=Sum("expected_amount"))
        .order_by("month")
    )
    won = {_month_key(row["month"]): row for row in won_by_month}
    months = []
    for row in by_month:
        key = _month_key(row["month"])
        won_row = won.pop(key, None)
        months.append(_month_row(key, row, won_row))
    months += [_month_row(key, None, won_row) for key, won_row in won.items()]
    months.sort(key=lambda m: m["month"])
    stages = [
        {
            "stage": row["stage_id"],
            "name": row["stage__name"],
            "name_en": row["stage__name_en"],
            "process": row["process_id"],
            "count": row["count"],
            "amount": _money(row["amount"]),
            "weighted": _money(row["weighted"]),
        }
        for row in by_stage
    ]
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "process": process_id,
        "months": months,
        "stages": stages,
        "totals": {
            "count": sum(m["count"] for m in months),
            "amount": _money(sum((Decimal(m["amount"]) for m in months), ZERO)),
            "weighted": _money(sum((Decimal(m["weighted"]) for m in months), ZERO)),
            "won_count": sum(m["won_count"] for m in months),
            "won_amount": _money(sum((Decimal(m["won_amount"]) for m in months), ZERO)),
        },
    }


def _month_key(value) -> str:
    return value.strftime("%Y-%m")


def _month_row(key: str, expected: dict | None, won: dict | None) -> dict:
    return {
        "month": key,
        "count": expected["count"] if expected else 0,
        "amount": _money(expected["amount"] if expected else None),
        "weighted": _money(expected["weighted"] if expected else None),
        "won_count": won["count"] if won else 0,
        "won_amount": _money(won["amount"] if won else None),
    }

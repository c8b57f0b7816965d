"""The sales funnel of a period (ANA-1), from stage events.

Each ``StageEvent`` is the interval a deal spent in ``to_stage``: entered at
``at``, left at ``left_at`` (NULL while still there) for ``next_stage``. The
state at an instant ``t`` is the set of events with ``at < t`` and
``left_at`` NULL or ``>= t``. For a stage S and a period [start, end):

- opening  = deals in S at start;      closing = deals in S at end;
- inflow   = events into S with start <= at < end;
- outflow  = events of S with start <= left_at < end;
  so opening + inflow - outflow = closing, by construction;
- won / lost / abandoned = outflow whose next stage is of that kind;
- stalled  = in S at start and at end with no event between
  (at < start and left_at NULL or >= end);
- conversion = outflow to a later open stage or to won / (opening + inflow);
- success  = among deals that entered S before end and are closed at end,
  the share won.

Three queries whatever the data: the stages, one pass of conditional
aggregates over the events that overlap the period, and one pass over the
events before ``end`` grouped per deal (its state at ``end`` and the stages
it entered), counted per stage. Only open
stages are rows; closed stages appear as totals.
"""

from __future__ import annotations

from django.contrib.postgres.aggregates import BoolOr
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet

from analytics.periods import Period
from projects.models import Stage, StageEvent

OPEN, WON, LOST, ABANDONED = (
    Stage.Kind.OPEN,
    Stage.Kind.WON,
    Stage.Kind.LOST,
    Stage.Kind.ABANDONED,
)
CLOSED = (WON, LOST, ABANDONED)

#: The counted figures of a stage row, in the table's order.
COUNTS = ("opening", "inflow", "outflow", "closing", "won", "lost", "stalled")
RATES = ("conversion_rate", "success_rate")


def _events(opportunities: QuerySet | None, process_id: int | None) -> QuerySet:
    events = StageEvent.objects.order_by()
    if process_id is not None:
        events = events.filter(process_id=process_id)
    if opportunities is not None:
        events = events.filter(opportunity__in=opportunities.order_by().values("pk"))
    return events


def _stages(process_id: int | None) -> list[Stage]:
    stages = Stage.objects.select_related("process").order_by(
        "process__order", "process_id", "order", "id"
    )
    if process_id is not None:
        stages = stages.filter(process_id=process_id)
    return list(stages)


def flow_counts(
    *, opportunities: QuerySet | None, period: Period, stage_ids: list[int], process_id=None
) -> dict[int, dict[str, int]]:
    """Per open stage: opening, inflow, outflow, closing, won, lost,
    abandoned, stalled and converted -- one aggregate pass."""
    start, end = period.start_at, period.end_at
    still_there_at_end = Q(left_at__isnull=True) | Q(left_at__gte=end)
    outflow = Q(left_at__lt=end)  # the WHERE below already asks left_at >= start
    rows = (
        _events(opportunities, process_id)
        .filter(to_stage_id__in=stage_ids, at__lt=end)
        .filter(Q(left_at__isnull=True) | Q(left_at__gte=start))
        .values("to_stage_id")
        .annotate(
            opening=Count("id", filter=Q(at__lt=start)),
            inflow=Count("id", filter=Q(at__gte=start)),
            outflow=Count("id", filter=outflow),
            closing=Count("id", filter=still_there_at_end),
            won=Count("id", filter=outflow & Q(next_stage__kind=WON)),
            lost=Count("id", filter=outflow & Q(next_stage__kind=LOST)),
            abandoned=Count("id", filter=outflow & Q(next_stage__kind=ABANDONED)),
            stalled=Count("id", filter=Q(at__lt=start) & still_there_at_end),
            converted=Count(
                "id",
                filter=outflow
                & (
                    Q(next_stage__kind=WON)
                    | Q(next_stage__kind=OPEN, next_stage__order__gt=F("to_stage__order"))
                ),
            ),
        )
    )
    return {row.pop("to_stage_id"): row for row in rows}


def success_counts(
    *,
    opportunities: QuerySet | None,
    period: Period,
    stage_ids: list[int],
    closed_ids: list[int],
    won_ids: list[int],
    process_id=None,
) -> dict[int, dict[str, int]]:
    """Per open stage: deals that entered it before ``end`` and are closed at
    ``end`` (``closed_at_end``), and of those the won ones (``won_at_end``).

    One pass over the events before ``end``, grouped per deal: whether the
    event covering ``end`` (``at < end``, ``left_at`` NULL or ``>= end``)
    is a closed / won one, and which stages the deal ever entered; then the
    deals are counted per stage. No DISTINCT over (stage, deal) pairs, whose
    sort is what a join of entries with final states costs at millions of
    events."""
    if not stage_ids:
        return {}
    end = period.end_at
    covers_end = Q(left_at__isnull=True) | Q(left_at__gte=end)

    def any_event(condition: Q) -> BoolOr:
        return BoolOr(ExpressionWrapper(condition, output_field=BooleanField()))

    deals = (
        _events(opportunities, process_id)
        .filter(at__lt=end)
        .values("opportunity_id")
        .annotate(
            closed_at_end=any_event(Q(to_stage_id__in=closed_ids) & covers_end),
            won_at_end=any_event(Q(to_stage_id__in=won_ids) & covers_end),
            **{f"entered_{pk}": any_event(Q(to_stage_id=pk)) for pk in stage_ids},
        )
        .filter(closed_at_end=True)
    )
    counts = deals.aggregate(
        **{
            f"{name}_{pk}": Count(
                "opportunity_id", filter=Q(**condition, **{f"entered_{pk}": True})
            )
            for pk in stage_ids
            for name, condition in (("closed", {}), ("won", {"won_at_end": True}))
        }
    )
    return {
        pk: {"closed_at_end": counts[f"closed_{pk}"], "won_at_end": counts[f"won_{pk}"]}
        for pk in stage_ids
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def funnel_figures(
    *, opportunities: QuerySet | None, period: Period, process_id: int | None = None
) -> dict:
    """The funnel as JSON-ready figures: a row per open stage (in process and
    stage order) and the closed totals. ``opportunities`` is the scoped
    queryset of deals (``None``: every deal, for those who see all)."""
    stages = _stages(process_id)
    open_ids = [s.pk for s in stages if s.kind == OPEN]
    flows = flow_counts(
        opportunities=opportunities, period=period, stage_ids=open_ids, process_id=process_id
    )
    successes = success_counts(
        opportunities=opportunities,
        period=period,
        stage_ids=open_ids,
        closed_ids=[s.pk for s in stages if s.kind != OPEN],
        won_ids=[s.pk for s in stages if s.kind == WON],
        process_id=process_id,
    )
    empty_flow = dict.fromkeys((*COUNTS, "abandoned", "converted"), 0)
    rows = []
    for stage in stages:
        if stage.kind != OPEN:
            continue
        flow = flows.get(stage.pk, empty_flow)
        success = successes.get(stage.pk, {"closed_at_end": 0, "won_at_end": 0})
        if not stage.is_active and not any(flow.values()) and not success["closed_at_end"]:
            continue  # a retired stage with nothing to show
        rows.append(
            {
                "stage": stage.pk,
                "code": stage.code,
                "name": stage.name,
                "name_en": stage.name_en,
                "order": stage.order,
                "process": stage.process_id,
                "process_name": stage.process.name,
                "process_name_en": stage.process.name_en,
                **{name: flow[name] for name in (*COUNTS, "abandoned", "converted")},
                **success,
                "conversion_rate": _rate(flow["converted"], flow["opening"] + flow["inflow"]),
                "success_rate": _rate(success["won_at_end"], success["closed_at_end"]),
            }
        )
    totals = {
        name: sum(row[name] for row in rows) for name in ("inflow", "won", "lost", "abandoned")
    }
    return {
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "process": process_id,
        "stages": rows,
        "totals": totals,
    }

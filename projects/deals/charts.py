"""The deal's stage plan drawn two ways (OPP-5): a plotly Gantt chart of
planned and actual dates, and a stage flow (a row of steps). Both consume
plan items the page has read already; they never query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import plotly.graph_objects as go
from django.utils.translation import gettext

from projects.models import StagePlan

PLANNED_COLOR = "rgba(31, 95, 168, 0.35)"
ACTUAL_COLOR = "#1f5fa8"
DAY_MS = 24 * 60 * 60 * 1000


def _ms(start: date, end: date) -> int:
    """Bar length in milliseconds on a date axis; an end day is inclusive."""
    return ((end - start).days + 1) * DAY_MS


def _iso(day: date) -> str:
    return datetime.combine(day, time()).isoformat()


def gantt_figure(items: list[StagePlan], *, today: date) -> go.Figure:
    """Horizontal bars from ``base`` (start) with a length in milliseconds:
    planned dates pale, actual dates solid (an unfinished step runs to today)."""
    names = [f"{n}. {item.name}" for n, item in enumerate(items, start=1)]
    planned = go.Bar(
        name=gettext("Planned"),
        orientation="h",
        y=names,
        base=[_iso(item.planned_start) for item in items],
        x=[_ms(item.planned_start, item.planned_end) for item in items],
        marker={"color": PLANNED_COLOR},
        hovertext=[f"{item.planned_start} – {item.planned_end}" for item in items],
        hoverinfo="text+name",
    )
    started = [item for item in items if item.actual_start]
    actual = go.Bar(
        name=gettext("Actual"),
        orientation="h",
        y=[names[items.index(item)] for item in started],
        base=[_iso(item.actual_start) for item in started],
        x=[
            _ms(item.actual_start, item.actual_end or max(today, item.actual_start))
            for item in started
        ],
        marker={"color": ACTUAL_COLOR},
        width=0.35,
        hovertext=[f"{item.actual_start} – {item.actual_end or '…'}" for item in started],
        hoverinfo="text+name",
    )
    figure = go.Figure(data=[planned, actual])
    figure.update_layout(
        barmode="overlay",
        xaxis={"type": "date"},
        yaxis={"autorange": "reversed", "automargin": True},
        legend={"orientation": "h", "y": -0.15},
        shapes=[
            {
                "type": "line",
                "x0": _iso(today),
                "x1": _iso(today),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": "#b00020", "width": 1, "dash": "dot"},
            }
        ],
    )
    return figure


def gantt_height(items: list[StagePlan]) -> int:
    return max(220, 80 + 40 * len(items))


@dataclass(frozen=True)
class FlowStep:
    item: StagePlan
    state: str  # "done" | "active" | "late" | "planned"


def stage_flow(items: list[StagePlan], *, today: date) -> list[FlowStep]:
    """Each step's state: done (actual end), active (started), late (planned
    end passed without an actual end), or planned."""
    steps = []
    for item in items:
        if item.actual_end:
            state = "done"
        elif item.planned_end < today:
            state = "late"
        elif item.actual_start:
            state = "active"
        else:
            state = "planned"
        steps.append(FlowStep(item=item, state=state))
    return steps


def plan_span(items: list[StagePlan]) -> tuple[date, date] | None:
    """First planned start and last planned end, for the page's summary."""
    if not items:
        return None
    return min(i.planned_start for i in items), max(i.planned_end for i in items)

"""Plotly figures built from snapshot figures (they never query).

Building a plotly figure costs 10-20 ms of validation, more than a whole
snapshot page may take, and a snapshot's figures never change once stored:
so the markup of a snapshot's chart is cached per computation and language
(``snapshot_chart``), and the task that computes a snapshot renders it for
every language right away (``warm_charts``).
"""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from crm.charts import chart_html
from projects.models import localised

CHART_CACHE_SECONDS = 7 * 24 * 3600


def funnel_chart(figures: dict) -> go.Figure:
    """One funnel trace per sales process: the deals in each open stage
    during the period (opening + inflow)."""
    figure = go.Figure()
    processes: dict[int, list[dict]] = {}
    for row in figures.get("stages", []):
        processes.setdefault(row["process"], []).append(row)
    shown = [rows for rows in processes.values() if any(r["opening"] + r["inflow"] for r in rows)]
    for rows in shown or list(processes.values())[:1]:
        figure.add_trace(
            go.Funnel(
                name=localised(rows[0]["process_name"], rows[0]["process_name_en"]),
                y=[localised(r["name"], r["name_en"]) for r in rows],
                x=[r["opening"] + r["inflow"] for r in rows],
                textinfo="value+percent initial",
            )
        )
    figure.update_layout(showlegend=len(shown) > 1, yaxis={"title": None})
    return figure


def forecast_chart(figures: dict) -> go.Figure:
    """Expected, weighted and won amounts by month."""
    months = [m["month"] for m in figures.get("months", [])]
    figure = go.Figure()
    for key, label in (
        ("amount", _("Expected amount")),
        ("weighted", _("Weighted (× probability)")),
        ("won_amount", _("Won")),
    ):
        figure.add_trace(
            go.Bar(name=label, x=months, y=[float(m[key]) for m in figures.get("months", [])])
        )
    figure.update_layout(barmode="group", xaxis={"type": "category"})
    return figure


#: kind → (builder, test id)
BUILDERS: dict[str, tuple[Callable[[dict], go.Figure], str]] = {
    "funnel": (funnel_chart, "funnel-chart"),
    "forecast": (forecast_chart, "forecast-chart"),
}


def snapshot_chart(snapshot) -> SafeString | None:
    """The chart markup of a computed snapshot, from the cache when it is there."""
    if not snapshot.figures or snapshot.kind not in BUILDERS or snapshot.computed_at is None:
        return None
    if snapshot.kind == "forecast" and not snapshot.figures.get("months"):
        return None  # an empty bar chart says less than the table's note
    builder, testid = BUILDERS[snapshot.kind]
    key = (
        f"analytics:chart:{snapshot.pk}:{snapshot.computed_at.timestamp()}:"
        f"{get_language()}:{testid}"
    )
    markup = cache.get(key)
    if markup is None:
        markup = chart_html(builder(snapshot.figures), testid=testid)
        cache.set(key, markup, CHART_CACHE_SECONDS)
    return SafeString(markup)


def warm_charts(snapshot) -> None:
    """Render a freshly computed snapshot's chart in every language."""
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            snapshot_chart(snapshot)

"""Plotly figures built from snapshot figures (they never query)."""

from __future__ import annotations

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from projects.models import localised


def funnel_chart(figures: dict) -> go.Figure:
    """One funnel trace per sales process: the deals in each open stage
    during the period (opening + inflow)."""
    figure = go.Figure()
    processes: dict[int, list[dict]] = {}
    for row in figures.get("stages", []):
        processes.setdefault(row["process"], []).append(row)
    for rows in processes.values():
        figure.add_trace(
            go.Funnel(
                name=localised(rows[0]["process_name"], rows[0]["process_name_en"]),
                y=[localised(r["name"], r["name_en"]) for r in rows],
                x=[r["opening"] + r["inflow"] for r in rows],
                textinfo="value+percent initial",
            )
        )
    figure.update_layout(showlegend=len(processes) > 1, yaxis={"title": None})
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

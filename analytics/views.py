"""Analytics pages: funnel, forecast, a snapshot, its status, recompute and
export, the success-rate action and the manager dashboard.

Every page reads stored snapshots (``analytics.snapshots``); none aggregates
deals in the request unless Celery runs eagerly (the demo). A snapshot is
reached by its id only within the scope it was computed for (else 404).
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.http import require_GET

from analytics import charts, exports
from analytics.forms import ReportForm
from analytics.models import Snapshot
from analytics.periods import Period
from analytics.scopes import AnalysisScope, default_scope_key, resolve_scope
from analytics.snapshots import (
    access_snapshot,
    snapshot_for,
    snapshot_recompute,
    snapshot_viewed,
    snapshots_for,
)
from crm.charts import chart_scripts
from crm.redirects import safe_next
from projects.models import Process, Product, localised

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NOT_COMPUTED_YET = gettext_lazy("The figures are not computed yet; try again in a moment.")

TITLES = {
    Snapshot.Kind.FUNNEL: gettext_lazy("Sales funnel"),
    Snapshot.Kind.FORECAST: gettext_lazy("Sales forecast"),
    Snapshot.Kind.ACTIVITY: gettext_lazy("Team activity"),
}


def _parameter_labels(parameters: dict) -> list[tuple[str, str]]:
    """What a report was asked for, in words: its period and filters."""
    from django.contrib.auth import get_user_model

    labels = []
    if parameters.get("start"):
        labels.append((_("Period"), f"{parameters['start']} – {parameters['end']}"))
    if parameters.get("process"):
        process = Process.objects.filter(pk=parameters["process"]).first()
        labels.append((_("Sales process"), str(process or "—")))
    if parameters.get("product"):
        product = Product.objects.filter(pk=parameters["product"]).first()
        labels.append((_("Product"), str(product or "—")))
    if parameters.get("owner"):
        owner = get_user_model().objects.filter(pk=parameters["owner"]).first()
        labels.append((_("Owner"), (owner.get_full_name() or owner.username) if owner else "—"))
    return labels


def snapshot_context(
    request, snapshot: Snapshot, scope: AnalysisScope, *, admin_actions: bool = True
) -> dict:
    """What the snapshot include needs: figures as table rows, the chart,
    the status and the actions."""
    figures = snapshot.figures or {}
    context = {
        "snapshot": snapshot,
        "scope": scope,
        "figures": figures,
        "parameter_labels": _parameter_labels(snapshot.parameters),
        "status_url": reverse("analytics:snapshot_status", kwargs={"pk": snapshot.pk}),
        "recompute_url": reverse("analytics:snapshot_recompute", kwargs={"pk": snapshot.pk}),
        "detail_url": reverse("analytics:snapshot", kwargs={"pk": snapshot.pk}),
        "export_url": None,
        "chart": None,
        "headers": [],
        "column_keys": [],
        "rows": [],
    }
    if snapshot.kind in (Snapshot.Kind.FUNNEL, Snapshot.Kind.FORECAST):
        context["export_url"] = reverse("analytics:snapshot_export", kwargs={"pk": snapshot.pk})
    if not snapshot.figures:
        return context
    if snapshot.kind == Snapshot.Kind.FUNNEL:
        headers, rows = exports.funnel_table(figures)
        context["column_keys"] = ["process", "stage", *(k for k, _l in exports.funnel_columns())]
        context["chart"] = charts.snapshot_chart(snapshot)
        context["rows"] = [
            {
                "stage": stage["stage"],
                "cells": cells,
                "success_rate": (
                    None if stage["success_rate"] is None else round(stage["success_rate"] * 100)
                ),
            }
            for stage, cells in zip(figures["stages"], rows, strict=True)
        ]
        context["may_set_probability"] = admin_actions and request.user.has_perm(
            "projects.change_stage"
        )
        context["success_rate_url"] = reverse("projects:stage_probability")
    elif snapshot.kind == Snapshot.Kind.FORECAST:
        headers, rows = exports.forecast_table(figures)
        context["column_keys"] = exports.FORECAST_KEYS
        context["chart"] = charts.snapshot_chart(snapshot)
        context["rows"] = [{"cells": cells} for cells in rows]
        context["stage_rows"] = [
            {**row, "label": localised(row["name"], row["name_en"])} for row in figures["stages"]
        ]
    else:
        headers = [_("Owner"), _("Last 7 days"), _("Last 30 days")]
        context["column_keys"] = ["name", "last_7", "last_30"]
        context["rows"] = [
            {"cells": [r["name"], r["last_7"], r["last_30"]]} for r in figures["reps"]
        ]
    context["headers"] = headers
    for row in context["rows"]:
        row["cells"] = [
            {"key": key, "value": value}
            for key, value in zip(context["column_keys"], row["cells"], strict=True)
        ]
    return context


class ReportView(View):
    """The funnel or the forecast with its parameters form."""

    kind: str = Snapshot.Kind.FUNNEL
    template_name = "analytics/report.html"

    def get(self, request):
        form = ReportForm(request.GET, user=request.user)
        context = {
            "form": form,
            "kind": self.kind,
            "page_title": TITLES[self.kind],
            "chart_scripts": chart_scripts(),
        }
        if form.is_valid():
            snapshot = snapshot_for(
                user=request.user,
                kind=self.kind,
                scope=form.analysis_scope,
                parameters=form.parameters(),
            )
            context.update(snapshot_context(request, snapshot, form.analysis_scope))
        return render(request, self.template_name, context)


class FunnelView(ReportView):
    kind = Snapshot.Kind.FUNNEL


class ForecastView(ReportView):
    kind = Snapshot.Kind.FORECAST


@require_GET
def snapshot_detail(request, pk):
    snapshot, scope = access_snapshot(user=request.user, pk=pk)
    snapshot = snapshot_viewed(snapshot=snapshot, by=request.user)
    return render(
        request,
        "analytics/snapshot.html",
        {
            **snapshot_context(request, snapshot, scope),
            "page_title": TITLES[snapshot.kind],
            "chart_scripts": chart_scripts(),
        },
    )


def status_payload(snapshot: Snapshot) -> dict:
    computed = timezone.localtime(snapshot.computed_at) if snapshot.computed_at else None
    return {
        "status": snapshot.status,
        "status_label": str(snapshot.get_status_display()),
        "progress": snapshot.progress,
        "busy": snapshot.is_busy,
        "stale": snapshot.stale,
        "computed_at": computed.isoformat() if computed else None,
        "computed_at_label": formats.date_format(computed, "DATETIME_FORMAT") if computed else "",
        "error": snapshot.error,
    }


@require_GET
def snapshot_status(request, pk):
    snapshot, _scope = access_snapshot(user=request.user, pk=pk)
    return JsonResponse(status_payload(snapshot))


def _back(request, snapshot: Snapshot):
    return redirect(safe_next(request, reverse("analytics:snapshot", kwargs={"pk": snapshot.pk})))


def snapshot_recompute_view(request, pk):
    snapshot, _scope = access_snapshot(user=request.user, pk=pk)  # 404 before 405
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    snapshot_recompute(snapshot=snapshot, by=request.user)
    return _back(request, snapshot)


@require_GET
def snapshot_export(request, pk):
    snapshot, scope = access_snapshot(user=request.user, pk=pk)
    if snapshot.kind == Snapshot.Kind.FUNNEL:
        headers, rows = exports.funnel_table(snapshot.figures or {})
    elif snapshot.kind == Snapshot.Kind.FORECAST:
        headers, rows = exports.forecast_table(snapshot.figures or {})
    else:
        raise Http404("Nothing to export.")
    if snapshot.figures is None:
        return HttpResponse(NOT_COMPUTED_YET, status=409)
    computed = timezone.localtime(snapshot.computed_at)
    meta = [
        (str(TITLES[snapshot.kind]), scope.label),
        *_parameter_labels(snapshot.parameters),
        (_("Computed at"), formats.date_format(computed, "DATETIME_FORMAT")),
    ]
    content = exports.snapshot_xlsx(
        title=str(TITLES[snapshot.kind]), meta=meta, headers=headers, rows=rows
    )
    response = HttpResponse(content, content_type=XLSX)
    name = f"{snapshot.kind}-{snapshot.parameters.get('start', '')}-{computed:%Y%m%d-%H%M}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


#: Months of expected closes the dashboard's forecast shows.
DASHBOARD_FORECAST_MONTHS = 6


class DashboardView(View):
    """The manager's dashboard (ANA-4): funnel of this quarter, forecast by
    month and team activity for the user's widest scope, from snapshots."""

    def get(self, request):
        today = timezone.localdate()
        scope = resolve_scope(request.user, default_scope_key(request.user))
        quarter = Period.quarter_of(today)
        months = Period.months_from(today, DASHBOARD_FORECAST_MONTHS)

        def params(period: Period) -> dict:
            return {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                "owner": None,
                "process": None,
                "product": None,
            }

        funnel, forecast, activity = snapshots_for(
            user=request.user,
            scope=scope,
            reports=[
                (Snapshot.Kind.FUNNEL, params(quarter)),
                (Snapshot.Kind.FORECAST, params(months)),
                (Snapshot.Kind.ACTIVITY, {}),
            ],
        )
        cards = []
        for snapshot in (funnel, forecast, activity):
            context = snapshot_context(request, snapshot, scope, admin_actions=False)
            context["title"] = TITLES[snapshot.kind]
            # The funnel's table is one click away (its snapshot page).
            context["chart_only"] = snapshot.kind == Snapshot.Kind.FUNNEL
            cards.append(context)
        return render(
            request,
            "analytics/dashboard.html",
            {
                "scope": scope,
                "cards": cards,
                "page_title": _("Manager dashboard"),
                "chart_scripts": chart_scripts(),
            },
        )


urlpatterns = [
    path("snapshots/<int:pk>/", snapshot_detail, name="snapshot"),
    path("snapshots/<int:pk>/status/", snapshot_status, name="snapshot_status"),
    path("snapshots/<int:pk>/recompute/", snapshot_recompute_view, name="snapshot_recompute"),
    path("snapshots/<int:pk>/export/", snapshot_export, name="snapshot_export"),
]

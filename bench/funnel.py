"""Benchmark of the funnel (ANA-1), the snapshot page and the manager
dashboard (ANA-4, ANA-7) at a million deals and about five million stage
events (issue 4).

What it measures, on its own database (``<name>_bench``, see bench/run.py):

- the funnel of the last complete quarter, for one department (the demo
  ``manager``'s, with its sub-departments, as that user asks for it) and for
  all deals (as ``executive``): the app's computation -- scope, stages and
  its two conditional-aggregate queries over ``projects_stageevent``
  (``analytics.snapshots.compute_figures``) -- against ONE hand-written SQL
  query computing the same figures on the same tables (``REFERENCE_SQL``
  below). Both results are compared figure by figure; the target is
  app ≤ 1.5 × reference (median of the runs).
- the snapshot page (GET ``/analytics/snapshots/<id>/``, the department's
  funnel) and the manager dashboard (GET ``/analytics/dashboard/``) through
  the Django test client: all middleware, session, scope, templates, with
  the snapshots already computed. Targets: p95 ≤ 50 ms and ≤ 100 ms.

The first run builds the deals (``seed_demo --opportunities N``: bulk COPY of
deals and their stage histories); later runs reuse them. Timing runs with
``DEBUG`` off. The script always exits 0; a missed target prints a FAIL line.

    make bench BENCHES=funnel
    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python -m bench.funnel [--opportunities 1000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
from datetime import timedelta

from bench.run import production_cursors, select_bench_database, setup_django

RATIO_TARGET = 1.5
SNAPSHOT_TARGET_MS = 50
DASHBOARD_TARGET_MS = 100

#: The same figures as analytics.funnel, in one statement. ``{scope}`` is
#: empty for all deals, else a condition on the deal's department.
REFERENCE_SQL = """
WITH flow AS (
    SELECT e.to_stage_id AS stage_id,
           count(*) FILTER (WHERE e.at < %(start)s) AS opening,
           count(*) FILTER (WHERE e.at >= %(start)s) AS inflow,
           count(*) FILTER (WHERE e.left_at < %(end)s) AS outflow,
           count(*) FILTER (WHERE e.left_at IS NULL OR e.left_at >= %(end)s) AS closing,
           count(*) FILTER (WHERE e.left_at < %(end)s AND n.kind = 'won') AS won,
           count(*) FILTER (WHERE e.left_at < %(end)s AND n.kind = 'lost') AS lost,
           count(*) FILTER (WHERE e.at < %(start)s
                              AND (e.left_at IS NULL OR e.left_at >= %(end)s)) AS stalled,
           count(*) FILTER (WHERE e.left_at < %(end)s
                              AND (n.kind = 'won' OR (n.kind = 'open' AND n."order" > s."order")))
               AS converted
    FROM projects_stageevent e
    JOIN projects_stage s ON s.id = e.to_stage_id AND s.kind = 'open'
    LEFT JOIN projects_stage n ON n.id = e.next_stage_id
    WHERE e.at < %(end)s AND (e.left_at IS NULL OR e.left_at >= %(start)s) {scope}
    GROUP BY e.to_stage_id
),
deal AS (  -- per deal: its state at the end of the period, the stages it entered
    SELECT e.opportunity_id,
           bool_or(s.kind = 'won' AND (e.left_at IS NULL OR e.left_at >= %(end)s)) AS won,
           array_agg(DISTINCT e.to_stage_id) FILTER (WHERE s.kind = 'open') AS entered
    FROM projects_stageevent e
    JOIN projects_stage s ON s.id = e.to_stage_id
    WHERE e.at < %(end)s {scope}
    GROUP BY e.opportunity_id
    HAVING bool_or(s.kind <> 'open' AND (e.left_at IS NULL OR e.left_at >= %(end)s))
),
success AS (
    SELECT stage_id, count(*) AS closed_at_end, count(*) FILTER (WHERE won) AS won_at_end
    FROM deal, unnest(deal.entered) AS stage_id
    GROUP BY stage_id
)
SELECT s.id, coalesce(flow.opening, 0), coalesce(flow.inflow, 0), coalesce(flow.outflow, 0),
       coalesce(flow.closing, 0), coalesce(flow.won, 0), coalesce(flow.lost, 0),
       coalesce(flow.stalled, 0), coalesce(flow.converted, 0),
       coalesce(success.closed_at_end, 0), coalesce(success.won_at_end, 0)
FROM projects_stage s
LEFT JOIN flow ON flow.stage_id = s.id
LEFT JOIN success ON success.stage_id = s.id
WHERE s.kind = 'open'
ORDER BY s.id
"""
DEPARTMENT_SCOPE = (
    "AND e.opportunity_id IN (SELECT o.id FROM projects_opportunity o"
    " WHERE o.department_id = ANY(%(departments)s))"
)
FIGURES = (
    "opening",
    "inflow",
    "outflow",
    "closing",
    "won",
    "lost",
    "stalled",
    "converted",
    "closed_at_end",
    "won_at_end",
)


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _fresh_user(username: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def last_quarter():
    from django.utils import timezone

    from analytics.periods import Period

    this = Period.quarter_of(timezone.localdate())
    return Period.quarter_of(this.start - timedelta(days=1))


def app_funnel(username: str, scope_key: str, parameters: dict) -> dict[int, tuple]:
    """What the snapshot task computes, for a fresh user (scope included)."""
    from analytics.models import Snapshot
    from analytics.scopes import resolve_scope
    from analytics.snapshots import compute_figures

    user = _fresh_user(username)
    figures = compute_figures(
        kind=Snapshot.Kind.FUNNEL,
        user=user,
        scope=resolve_scope(user, scope_key),
        parameters=parameters,
        progress=lambda percent: None,
    )
    return {row["stage"]: tuple(row[name] for name in FIGURES) for row in figures["stages"]}


def reference_funnel(period, departments: list[int] | None) -> dict[int, tuple]:
    from django.db import connection

    sql = REFERENCE_SQL.format(scope=DEPARTMENT_SCOPE if departments else "")
    params = {"start": period.start_at, "end": period.end_at, "departments": departments}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def timed(action, *, runs: int, warmup: int = 1) -> tuple[list[float], object]:
    result = None
    with production_cursors():
        for _ in range(warmup):
            result = action()
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            result = action()
            samples.append((time.perf_counter() - started) * 1000)
    return samples, result


def timed_pair(first, second, *, runs: int) -> tuple[list[float], object, list[float], object]:
    """Both actions in turns (first, second, first, ...), so that a busy
    machine slows both alike; one untimed warm-up each."""
    a_samples, b_samples = [], []
    with production_cursors():
        a_result, b_result = first(), second()
        for _ in range(runs):
            for action, samples in ((first, a_samples), (second, b_samples)):
                started = time.perf_counter()
                result = action()
                samples.append((time.perf_counter() - started) * 1000)
                if action is first:
                    a_result = result
                else:
                    b_result = result
    return a_samples, a_result, b_samples, b_result


def page_samples(client, url: str, *, runs: int) -> list[float]:
    samples, _ = timed(lambda: _get_ok(client, url), runs=runs, warmup=3)
    return samples


def _get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed funnel runs (default 5)")
    parser.add_argument("--page-runs", type=int, default=30, help="timed page GETs (default 30)")
    args = parser.parse_args(argv)

    where = select_bench_database()
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from analytics.models import Snapshot
    from analytics.scopes import default_scope_key, resolve_scope
    from analytics.snapshots import params_key
    from crm.celery import app as celery_app
    from projects.models import Opportunity, StageEvent

    celery_app.conf.task_always_eager = True  # the bench computes the snapshots itself
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("seed_demo", opportunities=args.opportunities, verbosity=0)
    seeding = time.perf_counter() - started
    Snapshot.objects.all().delete()  # computed afresh from this data set
    with connection.cursor() as cursor:
        # A dozen stage rows never reach autovacuum's threshold; without
        # statistics the planner guesses badly for whichever query joins them.
        cursor.execute("ANALYZE projects_stage")
        cursor.execute("ANALYZE projects_process")

    period = last_quarter()
    parameters = {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "owner": None,
        "process": None,
        "product": None,
    }
    manager = _fresh_user("manager")
    department_key = default_scope_key(manager)
    department_scope = resolve_scope(manager, department_key)
    departments = department_scope.department_ids()
    deals = Opportunity.objects.count()
    in_department = Opportunity.objects.filter(department_id__in=departments).count()
    print(
        f"funnel benchmark on {where}: {deals:,} deals, {StageEvent.objects.count():,} stage "
        f"events (seeding {seeding:.0f} s, a no-op when the data exists)"
    )
    print(
        f"period {period.start} – {period.end} (exclusive); department "
        f"{department_scope.label} with sub-departments: {in_department:,} deals"
    )

    failures = []
    print()
    print(f"{'funnel':<28}{'app median':>12}{'reference':>12}{'ratio':>8}  result")
    for label, username, key, scope_departments in (
        ("one department (manager)", "manager", department_key, departments),
        ("all deals (executive)", "executive", "all", None),
    ):
        app_samples, app_rows, ref_samples, ref_rows = timed_pair(
            lambda u=username, k=key: app_funnel(u, k, parameters),
            lambda d=scope_departments: reference_funnel(period, d),
            runs=args.runs,
        )
        if app_rows != ref_rows:
            failures.append(f"{label}: figures differ from the reference")
            print(f"FAIL: {label}: app {app_rows} != reference {ref_rows}")
        app_ms, ref_ms = statistics.median(app_samples), statistics.median(ref_samples)
        ratio = app_ms / ref_ms
        verdict = "PASS" if ratio <= RATIO_TARGET else "FAIL"
        if verdict == "FAIL":
            failures.append(f"{label}: ratio {ratio:.2f} > {RATIO_TARGET}")
        print(f"{label:<28}{app_ms:>10.0f}ms{ref_ms:>10.0f}ms{ratio:>8.2f}  {verdict}")
    inflow = sum(row[1] for row in app_rows.values())
    print(
        f"  (all deals: {inflow:,} stage entries in the quarter; figures equal: "
        f"{'yes' if app_rows == ref_rows else 'NO'})"
    )

    # Pages: snapshots computed once (eagerly), then timed as users open them.
    print()
    client = Client(SERVER_NAME="localhost")
    client.force_login(manager)
    started = time.perf_counter()
    with production_cursors():
        _get_ok(client, reverse("analytics:dashboard:index"))
    first_dashboard = time.perf_counter() - started
    _get_ok(
        client,
        reverse("analytics:funnel:index")
        + f"?start={period.start}&end={period.end}&scope={department_key}",
    )
    snapshot = Snapshot.objects.get(
        kind=Snapshot.Kind.FUNNEL, scope_key=department_key, params_key=params_key(parameters)
    )
    print(f"first dashboard view (computes its three snapshots inline): {first_dashboard:.1f} s")
    print(f"{'page':<34}{'queries':>8}{'median':>10}{'p95':>10}  target")
    for label, username, url, target in (
        (
            "snapshot page (manager)",
            "manager",
            reverse("analytics:snapshot", kwargs={"pk": snapshot.pk}),
            SNAPSHOT_TARGET_MS,
        ),
        (
            "dashboard (manager, department)",
            "manager",
            reverse("analytics:dashboard:index"),
            DASHBOARD_TARGET_MS,
        ),
        (
            "dashboard (executive, all)",
            "executive",
            reverse("analytics:dashboard:index"),
            DASHBOARD_TARGET_MS,
        ),
    ):
        client = Client(SERVER_NAME="localhost")
        client.force_login(_fresh_user(username))
        with production_cursors():
            _get_ok(client, url)  # computes what is missing
        samples = page_samples(client, url, runs=args.page_runs)
        with CaptureQueriesContext(connection) as queries:
            _get_ok(client, url)
        p95 = _p95(samples)
        verdict = "PASS" if p95 <= target else "FAIL"
        if verdict == "FAIL":
            failures.append(f"{label}: p95 {p95:.1f} ms > {target} ms")
        print(
            f"{label:<34}{len(queries):>8}{statistics.median(samples):>8.1f}ms"
            f"{p95:>8.1f}ms  ≤ {target} ms {verdict}"
        )

    print()
    for failure in failures:
        print(f"FAIL: {failure}")
    print("summary: " + ("all targets met" if not failures else f"{len(failures)} FAILED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

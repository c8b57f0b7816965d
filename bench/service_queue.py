"""Benchmark of the service pages at a million service requests (issue 12:
"service queue at 1 M requests ≤ 50 ms").

What it measures, on its own database (``<name>_bench``, see bench/run.py):
the branch queue (``/service/queue/``), the agent's own requests
(``/service/mine/``) and the request list (``/service/request/``, open
requests, due first; and with ``?sla=breached``) as the demo ``service``
agent (branch scope) opens them through the Django test client -- all
middleware, session, scope, templates. Target: p95 ≤ 50 ms per page. It
also prints the ``EXPLAIN (ANALYZE, BUFFERS)`` plan of the queue's page
query.

The first run loads the demo (``seed_demo``) and then adds requests by one
``INSERT … SELECT generate_series`` until there are ``--requests`` of them:
spread over every customer that has an owner (owner, department and branch
follow the customer), 3 % new (in the queues), 9 % open or resolved, the
rest closed. Later runs reuse them. Timing runs with ``DEBUG`` off. The
script always exits 0; a missed target prints a FAIL line.

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python -m bench.service_queue [--requests 1000000] [--runs 30]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from bench.run import production_cursors, select_bench_database, setup_django

TARGET_MS = 50

BULK_SQL = """
WITH customers AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM customers_customer WHERE owner_id IS NOT NULL
), rows AS (
    SELECT g, c.id AS customer_id, c.owner_id, c.department_id, c.branch_id,
           now() - ((g %% 2160) * interval '1 hour') - ((g %% 60) * interval '1 minute')
               AS created_at,
           CASE WHEN g %% 100 < 3 THEN 'new' WHEN g %% 100 < 6 THEN 'assigned'
                WHEN g %% 100 < 10 THEN 'in_progress' WHEN g %% 100 < 12 THEN 'resolved'
                ELSE 'closed' END AS status
    FROM generate_series(%(first)s, %(last)s) AS g CROSS JOIN customers
    JOIN customers_customer c
      ON c.id = customers.ids[1 + (g * 7919) %% array_length(customers.ids, 1)]
)
INSERT INTO service_servicerequest (
    created_at, updated_at, owner_id, department_id, branch_id, number, request_type,
    subject, description, customer_id, priority, channel, status, assigned_at,
    created_by_id, response_due_at, resolve_due_at, responded_at, resolved_at, closed_at,
    resolution, satisfaction)
SELECT created_at, created_at, owner_id, department_id, branch_id,
       'SRB' || lpad(g::text, 9, '0'),
       (ARRAY['repair', 'consultation', 'complaint', 'praise', 'other'])[1 + g %% 5],
       '批量服务请求 ' || g, '', customer_id,
       (ARRAY['low', 'normal', 'high', 'urgent'])[1 + g %% 4], 'phone', status,
       CASE WHEN status = 'new' THEN NULL ELSE created_at + interval '10 minutes' END,
       owner_id, created_at + interval '8 hours', created_at + interval '72 hours',
       CASE WHEN status IN ('in_progress', 'resolved', 'closed')
            THEN created_at + interval '1 hour' END,
       CASE WHEN status IN ('resolved', 'closed') THEN created_at + interval '30 hours' END,
       CASE WHEN status = 'closed' THEN created_at + interval '40 hours' END,
       CASE WHEN status IN ('resolved', 'closed') THEN '已处理' ELSE '' END,
       CASE WHEN status = 'closed' THEN 1 + g %% 5 END
FROM rows
"""


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def bulk_requests(target: int, *, batch: int = 200_000) -> int:
    """Top the table up to ``target`` rows; returns how many were added."""
    from django.db import connection, transaction

    from service.models import ServiceRequest

    have = ServiceRequest.objects.count()
    added = 0
    while have + added < target:
        first = have + added + 1
        last = min(target, first + batch - 1)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(BULK_SQL, {"first": first, "last": last})
        added += last - first + 1
        print(f"  … {have + added:,} requests")
    if added:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE service_servicerequest")
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30, help="timed GETs per page (default 30)")
    args = parser.parse_args(argv)

    where = select_bench_database()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from service import selectors
    from service.models import ServiceRequest

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo", verbosity=0)
    started = time.perf_counter()
    added = bulk_requests(args.requests)
    agent = get_user_model().objects.get(username="service")
    east = agent.employee.department.branch_id
    print(
        f"service benchmark on {where}: {ServiceRequest.objects.count():,} requests "
        f"({added:,} added in {time.perf_counter() - started:.0f} s), "
        f"{ServiceRequest.objects.queue(branch_id=east).count():,} in the East queue"
    )

    failures = []
    client = Client(SERVER_NAME="localhost")
    client.force_login(agent)
    print(f"{'page':<34}{'queries':>8}{'median':>10}{'p95':>10}  target")
    for label, url in (
        ("queue", reverse("service:queue:index")),
        ("my requests", reverse("service:mine:index")),
        ("list: open, due first", reverse("service:request:index")),
        ("list: breached", reverse("service:request:index") + "?sla=breached"),
        ("list: all, newest first", reverse("service:request:index") + "?status=all&sort=created"),
    ):
        samples = []
        with production_cursors():
            for run in range(args.runs + 3):
                begun = time.perf_counter()
                response = client.get(url)
                if run >= 3:
                    samples.append((time.perf_counter() - begun) * 1000)
                assert response.status_code == 200, (url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        p95 = _p95(samples)
        verdict = "PASS" if p95 <= TARGET_MS else "FAIL"
        if verdict == "FAIL":
            failures.append(f"{label}: p95 {p95:.1f} ms > {TARGET_MS} ms")
        print(
            f"{label:<34}{len(queries):>8}{statistics.median(samples):>8.1f}ms"
            f"{p95:>8.1f}ms  ≤ {TARGET_MS} ms {verdict}"
        )

    queryset = selectors.queue(user=get_user_model().objects.get(pk=agent.pk))[:26]
    print("\nqueue page query plan:")
    print(queryset.explain(analyze=True, buffers=True))
    print()
    for failure in failures:
        print(f"FAIL: {failure}")
    print("summary: " + ("all targets met" if not failures else f"{len(failures)} FAILED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

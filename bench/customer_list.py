"""Benchmark: the customer list page at a million customers (issue: p95 ≤ 50 ms,
≤ 12 queries, for any one filter + sort, on the first page and 20,000 rows deep).

Each sample is one GET of the list page through the Django test client (all
middleware, session, scope, template), timed in-process, warm cache. The deep
page is reached as a user reaches it: by the keyset cursor of the row just
before it, taken from the database once.

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python -m bench.customer_list
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

from bench.run import production_cursors, select_bench_database, setup_django

DEPTH = 20_000
RUNS = 20
WARMUP = 2
TARGET_MS = 50
MAX_QUERIES = 12


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _cursor_at(user, params: dict, depth: int) -> str | None:
    """The cursor of the row just before ``depth`` in this filtered list."""
    from customers.listing import CustomerFilterForm, encode_cursor
    from customers.selectors import customer_list

    form = CustomerFilterForm(params, user=user)
    assert form.is_valid(), form.errors
    sort = form.chosen_sort
    rows = form.filtered(customer_list(user=user)).order_by(*sort.order_by)
    try:
        row = rows[depth - 1]
    except IndexError:
        return None
    return encode_cursor(sort, row)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)

    where = select_bench_database()
    setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from customers.models import Customer

    User = get_user_model()
    url = reverse("customers:customer:index")
    cases = [
        ("no filter", {}),
        ("industry", {"industry": "it"}),
        ("region", {"region": "上海"}),
        ("type", {"type": "distributor"}),
        ("lifecycle stage", {"lifecycle_stage": "negotiation"}),
        ("value grade", {"value_grade": "A"}),
        ("recently updated", {"sort": "-updated"}),
        ("industry, recent", {"industry": "retail", "sort": "-updated"}),
    ]
    print(f"customer list benchmark on {where}: {Customer.objects.count():,} customers")
    print(f"{'user':<11} {'filter':<18} {'page':<8} {'queries':>7} {'median':>9} {'p95':>9}")
    failures = []
    for username in ("rep", "manager", "branch_mgr"):
        user = User.objects.get(username=username)
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        client.get(url)  # the session's first request stores its language
        for label, params in cases:
            pages = [("first", params)]
            cursor = _cursor_at(user, params, DEPTH)
            if cursor:
                pages.append((f"{DEPTH // 1000}k deep", {**params, "after": cursor}))
            for page, query in pages:
                with production_cursors():
                    for _ in range(WARMUP):
                        client.get(url, query)
                    samples = []
                    for _ in range(args.runs):
                        started = time.perf_counter()
                        response = client.get(url, query)
                        samples.append((time.perf_counter() - started) * 1000)
                        assert response.status_code == 200
                with CaptureQueriesContext(connection) as captured:
                    client.get(url, query)
                queries = len(captured)
                p95 = _p95(samples)
                verdict = "" if p95 <= TARGET_MS and queries <= MAX_QUERIES else "  FAIL"
                if verdict:
                    failures.append(f"{username} {label} {page}")
                print(
                    f"{username:<11} {label:<18} {page:<8} {queries:>7} "
                    f"{statistics.median(samples):>7.1f}ms {p95:>7.1f}ms{verdict}"
                )
    print(
        f"summary: target p95 ≤ {TARGET_MS} ms with ≤ {MAX_QUERIES} queries; "
        + ("all within" if not failures else f"FAILED: {', '.join(failures)}")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

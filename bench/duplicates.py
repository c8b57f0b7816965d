"""Benchmark of the duplicate check (CUS-8): one new customer against the table.

What it measures: ``customers.duplicates.find_duplicates`` for ``--names``
different new customers (name and phone), as the create form calls it for
the demo user ``rep``: the exact lookups (credit code, normalised name and
phone, contacts' mobiles), the fuzzy comparison within the name's blocking
key (at most ``MAX_FUZZY_CANDIDATES`` candidates) and the scoped details of
the matches. Target: p95 below 50 ms with a million customers. Each name is
checked ``--repeat`` times with a fresh user (scope computed anew each time)
and its median counts, so that one stall of a shared machine does not decide
the verdict; the first checks alone are printed too.

The names are made like the demo data's (city + brand + trade + legal form),
half of them respelled ("股份有限公司", "(上海)", "上海市", an extra word), so
most of them have exact and similar matches, as a real duplicate would.

It runs on the bench database (see bench/run.py: ``DATABASE_URL``'s
database with the ``_bench`` suffix), migrates it and tops it up to
``--customers`` rows with ``seed_demo`` (a no-op once the data exists).

Usage::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        DJANGO_DEBUG=true .venv/bin/python bench/duplicates.py --customers 1000000
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this folder is first on the path, where bench/<topic>.py
# files would shadow packages of the same name (import_export); the project
# root takes its place.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench.run import (  # noqa: E402 - the path above first
    fetch_user,
    production_cursors,
    select_bench_database,
    setup_django,
)

TARGET_MS = 50.0


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def new_customers(count: int, *, seed: int = 8) -> list[tuple[str, str]]:
    """``(name, phone)`` of ``count`` customers to check, half of them respelled."""
    from customers.demo import company_name

    rng = random.Random(seed)
    rows = []
    for index in range(count):
        name, brand, _industry, city = company_name(rng)
        if index % 2:
            rest = name[len(city) :]
            name = rng.choice(
                [
                    f"{city}市{rest}",
                    f"{rest.replace(brand, brand + '(' + city + ')', 1)}",
                    name.replace("有限公司", "股份有限公司"),
                    name.replace(brand, brand + "新", 1),
                ]
            )
        phone = f"+86 {rng.randrange(10, 999)} {rng.randrange(2000000, 89999999)}"
        rows.append((name, phone))
    return rows


def check_once(user, name: str, phone: str) -> tuple[float, int]:
    from customers.duplicates import find_duplicates

    started = time.perf_counter()
    matches = find_duplicates(user=user, name=name, phone=phone)
    return (time.perf_counter() - started) * 1000, len(matches)


def block_sizes(names: list[str]) -> list[int]:
    from django.db.models import Count

    from customers.models import Customer
    from customers.normalize import company_name_key, normalize_company_name

    keys = {company_name_key(normalize_company_name(name)) for name in names}
    counts = dict(
        Customer.objects.filter(name_key__in=keys, is_archived=False)
        .order_by()
        .values_list("name_key")
        .annotate(n=Count("id"))
        .values_list("name_key", "n")
    )
    return [counts.get(company_name_key(normalize_company_name(n)), 0) for n in names]


def breakdown(user, rows: list[tuple[str, str]]) -> tuple[float, float]:
    """Median ms per check spent in SQL, and in the rest (Python, rapidfuzz)."""
    from django.db import connection

    sql_ms, rest_ms = [], []
    for name, phone in rows:
        spent: list[float] = []

        def timed(execute, sql, params, many, context, spent=spent):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent.append((time.perf_counter() - started) * 1000)

        with connection.execute_wrapper(timed):
            total, _ = check_once(user, name, phone)
        sql_ms.append(sum(spent))
        rest_ms.append(total - sum(spent))
    return statistics.median(sql_ms), statistics.median(rest_ms)


def explain_candidates(name: str) -> str:
    """The plan of the candidate query (blocking key + name prefix) as sent."""
    from django.db import connection

    from bench.run import capture_sql
    from customers.duplicates import _candidates
    from customers.normalize import normalize_company_name

    ((sql, params),) = capture_sql(
        lambda: _candidates(normalized_name=normalize_company_name(name), exclude_pk=None)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join("    " + row[0] for row in cursor.fetchall())


def schema_ready() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        columns = {
            column.name
            for column in connection.introspection.get_table_description(
                cursor, "customers_customer"
            )
        }
    return {"normalized_name", "name_key", "normalized_phone"} <= columns


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="table size to seed")
    parser.add_argument("--names", type=int, default=50, help="new customers to check (50)")
    parser.add_argument(
        "--repeat", type=int, default=3, help="checks per name; its median counts (3)"
    )
    parser.add_argument("--user", default="rep", help="demo user who checks (rep)")
    parser.add_argument("--target-ms", type=float, default=TARGET_MS, help="p95 target (50)")
    parser.add_argument(
        "--no-seed", action="store_true", help="measure the data as it is (no migrate/seed)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = select_bench_database()
    setup_django()

    from django.core.management import call_command

    if not args.no_seed:
        call_command("migrate", interactive=False, verbosity=0)
    if not schema_ready():
        print(
            f"{database}: customers_customer lacks normalized_name/name_key/normalized_phone "
            "(an older schema); rebuild the bench database, then run again."
        )
        return 0
    if not args.no_seed:
        call_command("seed_demo", customers=args.customers)

    from customers.duplicates import (
        MAX_FUZZY_CANDIDATES,
        MAX_PREFIX_CANDIDATES,
        PREFIX_LENGTH,
        SIMILARITY_THRESHOLD,
    )
    from customers.models import Customer

    user = fetch_user(args.user)
    rows = new_customers(args.names)
    with production_cursors():
        for name, phone in rows[:5]:  # warm-up: caches, rapidfuzz import
            check_once(user, name, phone)
        first, samples, found = [], [], []
        for name, phone in rows:
            runs = []
            for _ in range(args.repeat):
                user = fetch_user(args.user)  # a fresh scope per request, untimed
                elapsed, matches = check_once(user, name, phone)
                runs.append(elapsed)
            first.append(runs[0])
            samples.append(statistics.median(runs))
            found.append(matches)
        sql_ms, rest_ms = breakdown(fetch_user(args.user), rows[:10])
    blocks = block_sizes([name for name, _phone in rows])

    total = Customer.objects.count()
    print("=" * 78)
    print("CRM benchmark: duplicate check of one new customer (find_duplicates)")
    print(f"database:    {database}")
    print(f"customers:   {total:,} rows; user {args.user}; {len(rows)} different names")
    print(
        f"fuzzy:       rapidfuzz WRatio >= {SIMILARITY_THRESHOLD} on at most "
        f"{MAX_FUZZY_CANDIDATES:,} customers with the name's blocking key + "
        f"{MAX_PREFIX_CANDIDATES:,} whose name starts with the same {PREFIX_LENGTH} characters"
    )
    print(f"machine:     {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("=" * 78)
    verdict = "PASS" if p95(samples) < args.target_ms else "FAIL"
    print(
        f"per name:    median {statistics.median(samples):.2f} ms, p95 {p95(samples):.2f} ms, "
        f"max {max(samples):.2f} ms, min {min(samples):.2f} ms "
        f"(median of {args.repeat} checks per name; target p95 < {args.target_ms:g} ms: {verdict})"
    )
    print(
        f"first runs:  median {statistics.median(first):.2f} ms, p95 {p95(first):.2f} ms, "
        f"max {max(first):.2f} ms (each name's first check alone)"
    )
    print(f"split:       SQL {sql_ms:.2f} ms, Python + rapidfuzz {rest_ms:.2f} ms (medians of 10)")
    print(
        f"matches:     median {statistics.median(found):g} per name, "
        f"{sum(1 for n in found if n)} of {len(found)} names with a match"
    )
    print(
        f"blocks:      rows sharing the name's key: median {statistics.median(blocks):,.0f}, "
        f"max {max(blocks):,} (compared: at most {MAX_FUZZY_CANDIDATES:,})"
    )
    print("EXPLAIN (ANALYZE, BUFFERS) of the candidate query for the first name:")
    print(explain_candidates(rows[0][0]))
    print(f"summary: duplicate check p95 {p95(samples):.2f} ms at {total:,} customers: {verdict}")
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())

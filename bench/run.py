"""Benchmark of the scoped customer list (``make bench``).

What it measures: the database work of one request to the customer list page
for the demo users ``rep`` (own records), ``manager`` (department subtree) and
``branch_mgr`` (whole branch) on a large table, by the page's own code
(``customers.listing.customer_page`` with no filter): the user's data scope,
the count as the page shows it (exact up to 5,000, "more than 5,000" beyond)
and the first page of 25 rows ordered by ``(name, id)``. The target is a
median below 10 ms per request. For reference it also times the same with an
exact ``COUNT(*)`` of the whole scope, which the page does not run.

It runs on its own database and never on the development one:

- with ``DATABASE_URL`` set, on the same server, database ``<name>_bench``
  (created if missing);
- otherwise on the embedded server, database ``crm_bench``.

The first run builds the data set (``seed_demo --customers N``, a minute or
two for a million rows); later runs reuse it. The script always exits 0: it
is a report, and a missed target is printed as a FAIL line.

Usage::

    make bench BENCH_ARGS="--customers 1000000 --runs 30"
    .venv/bin/python bench/run.py --help
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_SUFFIX = "_bench"
EMBEDDED_BENCH_DB = "crm_bench"
USERS = ("rep", "manager", "branch_mgr")
PAGE_SIZE = 25  # the customer list's ``list_paginate_by``
SEQ_SCAN_MARKER = "Seq Scan on customers_customer"
# The customer table itself, not customers_customeruserobjectpermission & co.
CUSTOMER_SCAN = re.compile(r"\bon customers_customer(?!\w)")
BREAKDOWN_RUNS = 10


# --- Database selection (before Django is set up) ---------------------------


def _load_dotenv() -> None:
    """Read ``.env`` exactly as ``crm/settings.py`` will (the environment wins).

    Without this a ``DATABASE_URL`` that only lives in ``.env`` would go
    unnoticed here, and the settings would then connect to the development
    database.
    """
    env_file = BASE_DIR / ".env"
    if env_file.is_file():
        import environ

        environ.Env.read_env(env_file)


def bench_database_url(url: str) -> tuple[str, str]:
    """``(bench URL, bench database name)`` on the server of ``url``.

    The database name gets the ``_bench`` suffix unless it already has it;
    scheme, user, host, port and query options are kept, so the settings
    parse the result exactly as they parse the original.
    """
    parts = urlsplit(url)
    name = unquote(parts.path.lstrip("/")) or "crm"
    bench_name = name if name.endswith(BENCH_SUFFIX) else f"{name}{BENCH_SUFFIX}"
    return urlunsplit(parts._replace(path=f"/{quote(bench_name)}")), bench_name


def ensure_database(url: str) -> bool:
    """Create the database of ``url`` if it is missing; True if it was created.

    The URL is parsed by django-environ, as the settings do, and the check
    runs in the ``postgres`` maintenance database: the bench database may
    not exist yet and the development one must not be touched.
    """
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    params = {
        "dbname": "postgres",
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        **config.get("OPTIONS", {}),
    }
    params = {key: value for key, value in params.items() if value is not None}
    name = config["NAME"]
    with psycopg.connect(autocommit=True, **params) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def select_bench_database() -> str:
    """Point the environment at the bench database; return a description of it."""
    _load_dotenv()
    url = os.environ.get("DATABASE_URL", "")
    if url:
        bench_url, name = bench_database_url(url)
        created = ensure_database(bench_url)
        os.environ["DATABASE_URL"] = bench_url
        parts = urlsplit(bench_url)
        where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
        return f"{name} on {where}" + (" (created)" if created else "")
    os.environ["CRM_EMBEDDED_DB_NAME"] = EMBEDDED_BENCH_DB
    return f"{EMBEDDED_BENCH_DB} on the embedded server"


def setup_django() -> None:
    """``django.setup()``, then refuse to go on unless connected to a bench database."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    import django

    django.setup()
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if not name.endswith(BENCH_SUFFIX):
        raise SystemExit(f"refusing to run: connected to {name!r}, not a *{BENCH_SUFFIX} database")


# --- Measurement -------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    username: str
    visible: int
    samples_ms: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        """Nearest-rank 95th percentile (the 29th of 30 samples)."""
        ordered = sorted(self.samples_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def minimum(self) -> float:
        return min(self.samples_ms)


def scoped_list(user: Any) -> Any:
    """The customer list's queryset: the selector the page uses, in list order."""
    from customers.selectors import customer_list

    return customer_list(user=user).order_by("name", "id")


def list_page(user: Any) -> Any:
    """What the list page asks of the database for its first page, by the
    page's own code (``customers.listing.customer_page``): the user's scope,
    the count (exact up to ``COUNT_CAP``, "more than 5,000" beyond, as the
    page shows it) and the first 25 rows with the list's columns."""
    from customers.listing import CustomerFilterForm, customer_page

    form = CustomerFilterForm({}, user=user)
    assert form.is_valid(), form.errors
    return customer_page(user=user, form=form)


def exact_count(user: Any) -> int:
    """The exact ``COUNT(*)`` of the user's scope, which the page does not run."""
    return scoped_list(user).count()


def exact_count_page(user: Any) -> tuple[int, list]:
    """For reference: the scope, an exact ``COUNT(*)`` (a whole branch's index
    entries) and the first page -- what this benchmark measured before it
    measured the page's own code."""
    from customers.listing import LIST_COLUMNS, LIST_RELATED

    queryset = scoped_list(user)
    rows = queryset.select_related(None).select_related(*LIST_RELATED).only(*LIST_COLUMNS)
    return queryset.count(), list(rows[:PAGE_SIZE])


def fetch_user(username: str) -> Any:
    """A fresh user object, as the authentication middleware loads one per request.

    Fresh matters: ``visible_to`` caches the scope on the user object
    (``_crm_scope``), and a request starts without it.
    """
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def one_request(username: str, *, action: Callable[[Any], Any] = list_page) -> float:
    """Seconds of ``action`` (the list page's database work) for a fresh user.

    The user fetch is not timed: it is the session's cost, not the list's.
    """
    user = fetch_user(username)
    started = time.perf_counter()
    action(user)
    return time.perf_counter() - started


@contextmanager
def production_cursors() -> Iterator[None]:
    """Time without DEBUG's query logging, as production serves requests.

    ``DJANGO_DEBUG=true`` is needed to start without a secret key, but it
    routes every query through the logging debug cursor.
    """
    from django.test.utils import override_settings

    with override_settings(DEBUG=False):
        yield


def measure(
    username: str, *, warmup: int, runs: int, action: Callable[[Any], Any] = list_page
) -> Result:
    with production_cursors():
        for _ in range(warmup):
            one_request(username, action=action)
        samples = [one_request(username, action=action) * 1000 for _ in range(runs)]
        visible = exact_count(fetch_user(username))
    return Result(username=username, visible=visible, samples_ms=tuple(samples))


def _query_label(sql: str) -> str:
    if sql.startswith("SELECT COUNT(*)"):
        return "count" if "LIMIT" in sql else "exact count"
    if sql.startswith("SELECT me.rank"):
        return "scope"
    table = re.search(r'FROM "(\w+)"', sql)
    name = table.group(1) if table else "?"
    if name == "customers_customer":
        return "first page"
    return f"scope: {name}"


def breakdown(
    username: str, *, runs: int = BREAKDOWN_RUNS, action: Callable[[Any], Any] = list_page
) -> list[tuple[str, float]]:
    """Median ms per query of one request, and the rest (Python) -- in separate runs.

    Kept out of the timed runs, because timing each query costs a little.
    """
    from django.db import connection

    per_label: dict[str, list[float]] = {}
    rest: list[float] = []
    with production_cursors():
        for _ in range(runs):
            spent: list[tuple[str, float]] = []

            def timed(execute, sql, params, many, context, spent=spent):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent.append((_query_label(sql), time.perf_counter() - started))

            user = fetch_user(username)
            with connection.execute_wrapper(timed):
                started = time.perf_counter()
                action(user)
                total = time.perf_counter() - started
            for label, seconds in spent:
                per_label.setdefault(label, []).append(seconds * 1000)
            rest.append((total - sum(seconds for _, seconds in spent)) * 1000)
    rows = [(label, statistics.median(values)) for label, values in per_label.items()]
    return [*rows, ("python (ORM, rows, models)", statistics.median(rest))]


# --- EXPLAIN -------------------------------------------------------------------


def capture_sql(action: Callable[[], Any]) -> list[tuple[str, Any]]:
    """The ``(sql, params)`` of every query ``action`` runs, exactly as Django sends them."""
    from django.db import connection

    captured: list[tuple[str, Any]] = []

    def wrapper(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        action()
    return captured


def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def page_sql(username: str) -> tuple[str, Any]:
    """The first-page query of one request, which carries the capped count
    (the scope, cached on the user object, is computed first)."""
    user = fetch_user(username)
    list_page(user)
    (page_query,) = capture_sql(lambda: list_page(user))
    return page_query


def has_seq_scan(plan: str) -> bool:
    """Whether the plan reads the whole customer table."""
    return any("Seq Scan" in line and CUSTOMER_SCAN.search(line) for line in plan.splitlines())


def seq_scan_verdict(plan: str) -> str:
    return f"{SEQ_SCAN_MARKER}: {'YES' if has_seq_scan(plan) else 'no'}"


def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def page_plan_summary(plan: str) -> str:
    """The customers_customer accesses of the first-page plan (the rows and
    the capped count), and its execution time: whether the page walks the
    name index, how much it filters, and which index the count reads.
    """
    keep = ("Index Cond:", "Recheck Cond:", "Filter:", "Rows Removed by Filter", "Heap Blocks")
    lines = plan.splitlines()
    picked = []
    for index, line in enumerate(lines):
        if CUSTOMER_SCAN.search(line):
            # The scan node and its detail lines (deeper indentation) below it.
            depth = len(line) - len(line.lstrip())
            picked.append(line.strip())
            for detail in lines[index + 1 :]:
                if len(detail) - len(detail.lstrip()) <= depth:
                    break
                if any(word in detail for word in keep):
                    picked.append("  " + detail.strip())
        elif "Execution Time" in line:
            picked.append(line.strip())
    return "\n".join(picked)


# --- Report --------------------------------------------------------------------


def print_header(database: str, *, seconds_seeding: float) -> None:
    import django
    from django.db import connection

    from customers.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    print("=" * 78)
    print("CRM benchmark: scoped customer list (scope + count + first page of 25)")
    print(f"PostgreSQL:  {version}")
    print(f"database:    {database}")
    print(f"customers:   {Customer.objects.count():,} rows")
    print(
        f"machine:     {os.cpu_count()} CPUs (os.cpu_count), Python {sys.version.split()[0]}, "
        f"Django {django.get_version()}"
    )
    print(f"seeding:     {seconds_seeding:.1f} s (a no-op when the data exists)")
    print("=" * 78)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--customers",
        type=int,
        default=1_000_000,
        help="size of the customer table (default 1,000,000)",
    )
    parser.add_argument("--runs", type=int, default=30, help="timed runs per user (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs first (default 3)")
    parser.add_argument(
        "--target-ms", type=float, default=10.0, help="median target per request in ms (default 10)"
    )
    parser.add_argument(
        "--users",
        nargs="+",
        default=list(USERS),
        metavar="USERNAME",
        help=f"demo users to measure (default: {' '.join(USERS)})",
    )
    parser.add_argument(
        "--full-page-plan",
        action="store_true",
        help="print the whole first-page plan, not only its customer scan",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = select_bench_database()  # before django.setup(): the settings read it
    setup_django()

    from django.core.management import call_command

    from customers.listing import COUNT_CAP
    from customers.models import Customer

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    # Seed only a data set that is not there yet: ``seed_demo`` also runs every
    # later app's demo seeder, whose records this benchmark does not read.
    if Customer.objects.count() < args.customers:
        call_command("seed_demo", customers=args.customers)
    seconds_seeding = time.perf_counter() - started

    print()
    print_header(database, seconds_seeding=seconds_seeding)

    results = [measure(name, warmup=args.warmup, runs=args.runs) for name in args.users]
    print()
    print(
        "the list page's database work (customer_page: scope + count capped at "
        f"{COUNT_CAP:,} + first page): {args.warmup} warm-up + {args.runs} timed runs per user, "
        f"target median < {args.target_ms:g} ms"
    )
    print(f"{'user':<12}{'visible':>10}{'median':>10}{'p95':>10}{'min':>10}  result")
    for r in results:
        verdict = "PASS" if r.median < args.target_ms else "FAIL"
        print(
            f"{r.username:<12}{r.visible:>10,}{r.median:>8.2f}ms{r.p95:>8.2f}ms"
            f"{r.minimum:>8.2f}ms  {verdict}"
        )
    print("for reference, with an exact COUNT(*) instead (not what the page runs):")
    for name in args.users:
        r = measure(name, warmup=args.warmup, runs=args.runs, action=exact_count_page)
        print(
            f"{r.username:<12}{r.visible:>10,}{r.median:>8.2f}ms{r.p95:>8.2f}ms{r.minimum:>8.2f}ms"
        )

    print()
    print(f"where the time goes (median ms of {BREAKDOWN_RUNS} separate runs)")
    for name in args.users:
        parts = ", ".join(f"{label} {ms:.2f}" for label, ms in breakdown(name))
        print(f"  {name:<12}{parts}")

    print()
    print("EXPLAIN (ANALYZE, BUFFERS)")
    for name in args.users:
        page_plan = explain(*page_sql(name))
        print(f"--- {name}: first page and its capped count -- {seq_scan_verdict(page_plan)}")
        print(indent(page_plan if args.full_page_plan else page_plan_summary(page_plan)))

    print()
    failed = [r for r in results if r.median >= args.target_ms]
    for r in failed:
        print(
            f"FAIL: {r.username}: median {r.median:.2f} ms >= target {args.target_ms:g} ms "
            f"({r.visible:,} visible rows)"
        )
    print(
        f"summary: {len(results) - len(failed)}/{len(results)} users within "
        f"{args.target_ms:g} ms"
        + (f"; FAILED: {', '.join(r.username for r in failed)}" if failed else "")
    )
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())

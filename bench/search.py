"""Benchmark of the one-box search (CUS-9): p95 of realistic queries per user.

What it measures: the database and Python work of one search request for the
demo users ``rep`` (own records), ``manager`` (department subtree) and
``branch_mgr`` (whole branch) -- the user's scope and permissions, then every
registered provider (customers, contacts, …):

- *dropdown*: what the box fetches as you type (``partial=1``): up to 8 rows
  per provider;
- *page*: the full results page: the first 25 rows per provider (26 are
  read, to know whether there is a next page; nothing is counted).

About 50 queries, built from the words the demo data is made of: Chinese
words (华信, 上海华信, 精密机械), person names (张伟), full pinyin (huaxin,
zhangwei), initials (shhx, zw), phone and mobile numbers taken from the data.
The target is p95 <= 100 ms per request at 1 M customers / 3 M contacts.

It runs on a bench database only (``<name>_bench``, see ``bench/run.py``)
and reports on whatever is there, printing the row counts. It does not seed
unless asked:

- ``--customers N`` runs ``seed_demo --customers N`` first;
- ``--contacts N`` tops the contact table up to N rows with COPY (about three
  per customer, owned like their customer), for as long as ``seed_demo``
  does not create contacts itself;
- search documents missing after either (or all, with ``--rebuild-documents``)
  are built in batches: documents in Python, ``to_tsvector`` in one UPDATE
  per batch.

Usage::

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python bench/search.py
    # a data set of its own: database crm_search_bench
    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_search \\
        .venv/bin/python bench/search.py --customers 1000000 --contacts 3000000
"""

from __future__ import annotations

import argparse
import functools
import math
import random
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

# Run as ``python bench/search.py``: the script's folder comes first on the
# path and its modules would shadow libraries (a bench module named like a library would hide
# django-import-export); the project root is what is needed.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench.run import (  # noqa: E402
    capture_sql,
    explain,
    fetch_user,
    indent,
    production_cursors,
    select_bench_database,
    setup_django,
)

USERS = ("rep", "manager", "branch_mgr", "executive")
TARGET_MS = 100.0
BATCH = 20_000

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳"  # noqa: E501
TITLES = [
    "采购经理",
    "总经理",
    "技术总监",
    "财务经理",
    "工程师",
    "项目经理",
    "副总经理",
    "采购专员",
]


# --- Data set ----------------------------------------------------------------


@contextmanager
def without_indexes(table: str, *, stdout=print) -> Iterator[None]:
    """Drop ``table``'s indexes (except those of constraints) and build them
    again afterwards: a bulk write then touches the heap only. Bench database only."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes AS i"
            " WHERE i.tablename = %s AND i.schemaname = current_schema()"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c"
            "   WHERE c.conindid = (quote_ident(i.indexname))::regclass)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        stdout(f"  {table}: building {len(indexes)} indexes again")
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for _name, definition in indexes:
                cursor.execute(definition.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1))
            cursor.execute(f"VACUUM ANALYZE {table}")


def top_up_contacts(target: int, *, stdout=print) -> int:
    """COPY contacts (about three per customer, owned like it) up to ``target`` rows."""
    from django.db import connection, transaction
    from django.utils import timezone

    from customers.models import Contact, Customer
    from customers.normalize import normalize_phone
    from customers.search import contact_document

    missing = target - Contact.objects.count()
    if missing <= 0:
        return 0
    rng = random.Random(target)
    now = timezone.now()
    columns = (
        "customer_id, name, title, department_name, phone, mobile, email, wechat, interests,"
        " notes, decision_role, attitude, is_active, normalized_mobile, owner_id,"
        " department_id, branch_id, created_at, updated_at, search_vector"
    )

    written = 0
    last_id = 0
    with without_indexes(Contact._meta.db_table, stdout=stdout), connection.cursor() as cursor:
        raw = cursor.cursor
        while written < missing:
            customers = list(
                Customer.objects.filter(pk__gt=last_id)
                .order_by("pk")
                .values_list("pk", "owner_id", "department_id", "branch_id")[: BATCH // 3 + 1]
            )
            if not customers:
                last_id = 0  # another round over the customers
                continue
            last_id = customers[-1][0]
            with (
                transaction.atomic(),
                raw.copy(f"COPY customers_contact ({columns}) FROM STDIN") as copy,
            ):
                for customer_id, owner, department, branch in customers:
                    for _ in range(3):
                        if written >= missing:
                            break
                        name = rng.choice(SURNAMES) + "".join(
                            rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))
                        )
                        mobile = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                        phone = f"0{rng.randrange(10, 999)}-{rng.randrange(2000000, 89999999)}"
                        email = f"u{rng.randrange(10**8)}@example.com"
                        document = contact_document(name, phone, mobile, email)
                        copy.write_row(
                            (
                                customer_id,
                                name,
                                rng.choice(TITLES),
                                "",
                                phone,
                                mobile,
                                email,
                                "",
                                "",
                                "",
                                "",
                                "",
                                True,
                                normalize_phone(mobile),
                                owner,
                                department,
                                branch,
                                now,
                                now,
                                tsvector_literal(document),
                            )
                        )
                        written += 1
            stdout(f"  contacts: {written:,}/{missing:,}")
    return written


def tsvector_literal(document: str) -> str:
    """``document``'s tokens as a tsvector literal, for COPY.

    The same lexemes as ``to_tsvector('simple', document)`` (the tokens are
    already lower-case runs of letters and digits, numbers and addresses),
    without positions, which the search does not use; ``check_literals``
    compares the two on a sample.
    """
    return " ".join(
        "'" + token.replace("\\", "\\\\").replace("'", "''") + "'" for token in document.split()
    )


def check_literals(sample: int = 2000) -> int:
    """Contacts whose stored vector differs from ``to_tsvector`` of their document."""
    from django.db import connection

    from customers.models import Contact
    from customers.search import contact_document

    rows = list(
        Contact.objects.order_by("?").values_list("pk", "name", "phone", "mobile", "email")[:sample]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM customers_contact AS c"
            " JOIN unnest(%s::bigint[], %s::text[]) AS d(id, doc) ON c.id = d.id"
            " WHERE strip(c.search_vector) <> strip(to_tsvector('simple', d.doc))",
            [[r[0] for r in rows], [contact_document(*r[1:]) for r in rows]],
        )
        return cursor.fetchone()[0]


def ensure_search_index(model) -> None:
    """The GIN index of the scoped search documents (migration
    ``customers.0005``), should an interrupted run have left it dropped."""
    import importlib

    from django.db import connection

    document = importlib.import_module("customers.migrations.0005_scoped_search_indexes").DOCUMENT
    table = model._meta.db_table
    name = f"{model._meta.model_name}_scoped_search"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = %s", [name])
        if cursor.fetchone() is None:
            print(f"  {table}: building the missing index {name}")
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(f'CREATE INDEX "{name}" ON {table} USING gin ({document})')
            cursor.execute(f"ANALYZE {table}")


def build_documents(model, *, everything: bool, stdout=print) -> int:
    """Fill ``search_vector`` where it is missing (or everywhere), in batches."""
    from django.db import connection, transaction

    from customers.models import Customer
    from customers.search import contact_document, customer_document, search_tokens

    if model is Customer:
        fields, document = ("name", "short_name", "credit_code", "phone"), customer_document
    else:
        fields, document = ("name", "phone", "mobile", "email"), contact_document
    # Generated names repeat (a few hundred thousand distinct ones): segment
    # and transcribe each once. Only here; the app builds one document at a time.
    tokens = functools.lru_cache(maxsize=500_000)(search_tokens)
    table = model._meta.db_table
    base = model.objects.all() if everything else model.objects.filter(search_vector__isnull=True)
    total = base.count()
    done = 0
    last_id = 0
    if not total:
        return 0
    with without_indexes(table, stdout=stdout) if total > 100_000 else nullcontext():
        while True:
            rows = list(
                base.filter(pk__gt=last_id).order_by("pk").values_list("pk", *fields)[:BATCH]
            )
            if not rows:
                break
            last_id = rows[-1][0]
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("CREATE TEMP TABLE bench_docs (id bigint, doc text) ON COMMIT DROP")
                with (
                    cursor.cursor.copy("COPY bench_docs (id, doc) FROM STDIN") as copy,
                    mock.patch("customers.search.search_tokens", tokens),
                ):
                    for pk, *values in rows:
                        copy.write_row((pk, document(*values)))
                cursor.execute(
                    f"UPDATE {table} AS t SET search_vector = to_tsvector('simple', d.doc)"
                    " FROM bench_docs AS d WHERE t.id = d.id"
                )
            done += len(rows)
            stdout(f"  {table}: documents {done:,}/{total:,}")
    return done


# --- Queries -------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


def build_queries(count: int = 50) -> list[Query]:
    """About ``count`` realistic queries: words of the demo data and numbers in it."""
    from pypinyin import Style, lazy_pinyin

    from customers.demo import BRAND_WORDS, CITIES, INDUSTRY_WORDS
    from customers.models import Contact, Customer

    rng = random.Random(9)

    def initials(text: str) -> str:
        return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER))

    def full(text: str) -> str:
        return "".join(lazy_pinyin(text))

    industries = [w for words in INDUSTRY_WORDS.values() for w in words]
    brands = rng.sample(BRAND_WORDS, 8)
    cities = rng.sample(CITIES, 8)
    people = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊"]
    queries = [Query("chinese word", b) for b in brands]
    queries += [Query("chinese words", c + b) for c, b in zip(cities, brands, strict=True)]
    queries += [Query("chinese word", w) for w in rng.sample(industries, 3)]
    queries += [Query("chinese name prefix", cities[0] + brands[0] + industries[0][:2])]
    queries += [Query("person name", p) for p in people]
    queries += [
        Query("initials", initials(c + b)) for c, b in zip(cities[:5], brands[:5], strict=True)
    ]
    queries += [Query("initials", initials(p)) for p in people[:3]]
    queries += [Query("full pinyin", full(b)) for b in brands[:4]]
    queries += [
        Query("full pinyin", full(c + b)) for c, b in zip(cities[4:7], brands[4:7], strict=True)
    ]
    queries += [Query("full pinyin", full(p)) for p in people[3:]]
    queries += [Query("one letter (noise)", "s")]
    phones = list(
        Customer.objects.exclude(phone="").order_by("?").values_list("phone", flat=True)[:3]
    )
    mobiles = list(
        Contact.objects.exclude(mobile="").order_by("?").values_list("mobile", flat=True)[:4]
    )
    queries += [Query("phone", p) for p in phones]
    queries += [Query("mobile", m) for m in mobiles]
    queries += [Query("mobile prefix", m[:7]) for m in mobiles[:2]]
    return queries[:count]


# --- Measurement -------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def one_search(username: str, text: str, *, page: bool) -> tuple[float, int]:
    """Seconds for one request's search work for a fresh user; rows shown."""
    from crm.search import clean_query, dropdown_groups, is_noise, page_groups

    user = fetch_user(username)
    started = time.perf_counter()
    query = clean_query(text)
    groups = []
    if not is_noise(query):
        if page:
            groups = page_groups(user, query, only="", page_number=1)
        else:
            groups = dropdown_groups(user, query)
    elapsed = time.perf_counter() - started
    return elapsed, sum(len(g.hits) for g in groups)


def measure(username: str, queries: list[Query], *, page: bool, runs: int):
    samples: list[float] = []
    per_query: dict[str, list[float]] = {}
    with production_cursors():
        for query in queries:  # warm-up
            one_search(username, query.text, page=page)
        for _ in range(runs):
            for query in queries:
                seconds, _rows = one_search(username, query.text, page=page)
                samples.append(seconds * 1000)
                per_query.setdefault(query.text, []).append(seconds * 1000)
    return samples, per_query


def plans(username: str, text: str) -> Iterator[tuple[str, str]]:
    """EXPLAIN ANALYZE of every provider query of one dropdown search."""
    from crm.search import dropdown_groups

    user = fetch_user(username)
    dropdown_groups(user, text)  # scope and permissions cached on the user
    for sql, params in capture_sql(lambda: dropdown_groups(user, text)):
        yield sql, explain(sql, params)


def summary_of_plan(plan: str) -> str:
    keep = ("Scan", "Index Cond", "Recheck Cond", "Filter", "Heap Blocks", "Sort", "Execution")
    return "\n".join(line for line in plan.splitlines() if any(k in line for k in keep))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=0, help="seed up to N customers first")
    parser.add_argument("--contacts", type=int, default=0, help="COPY contacts up to N first")
    parser.add_argument(
        "--rebuild-documents", action="store_true", help="rebuild every search document"
    )
    parser.add_argument(
        "--reset-contacts",
        action="store_true",
        help="empty the contact table of the bench database first (before --contacts)",
    )
    parser.add_argument("--runs", type=int, default=3, help="timed rounds of all queries")
    parser.add_argument("--queries", type=int, default=50, help="number of queries (max ~50)")
    parser.add_argument("--users", nargs="+", default=list(USERS), metavar="USERNAME")
    parser.add_argument("--target-ms", type=float, default=TARGET_MS)
    parser.add_argument("--plans", type=int, default=2, help="EXPLAIN the N slowest queries")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    database = select_bench_database()
    setup_django()

    from django.core.management import call_command
    from django.db import connection

    from crm.search import search_providers
    from customers.models import Contact, Customer

    # The schema as the code expects it (the scoped search indexes among it).
    call_command("migrate", interactive=False, verbosity=0)
    columns = (
        {
            c.name
            for c in connection.introspection.get_table_description(
                connection.cursor(), Contact._meta.db_table
            )
        }
        if Contact._meta.db_table in connection.introspection.table_names()
        else set()
    )
    if "search_vector" not in columns:
        print(f"{database}: the schema has no contacts with search documents; migrate it first")
        return 0
    if args.customers:
        call_command("seed_demo", customers=args.customers)
    if args.reset_contacts:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE customers_contact CASCADE")
    if args.contacts:
        top_up_contacts(args.contacts)
    for model in (Customer, Contact):
        build_documents(model, everything=args.rebuild_documents)
        ensure_search_index(model)

    queries = build_queries(args.queries)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    print("=" * 78)
    print("CRM benchmark: one-box search (scope + permissions + every provider)")
    print(f"PostgreSQL:  {version}")
    print(f"database:    {database}")
    print(f"customers:   {Customer.objects.count():,} rows")
    print(f"contacts:    {Contact.objects.count():,} rows")
    if Contact.objects.exists():
        print(f"documents:   {check_literals()} of 2,000 sampled contacts differ from to_tsvector")
    print(f"providers:   {', '.join(p.key for p in search_providers)}")
    print(f"queries:     {len(queries)} x {args.runs} timed runs (+1 warm-up) per user and mode")
    print("=" * 78)
    print("queries: " + ", ".join(q.text for q in queries))
    print()
    print(f"{'user':<12}{'mode':<10}{'visible':>10}{'p50':>10}{'p95':>10}{'max':>10}  result")
    slowest: list[tuple[float, str, str, str]] = []
    failed = []
    for username in args.users:
        user = fetch_user(username)
        visible = Customer.objects.visible_to(user).count()
        for mode in ("dropdown", "page"):
            samples, per_query = measure(username, queries, page=mode == "page", runs=args.runs)
            p95 = percentile(samples, 0.95)
            verdict = "PASS" if p95 <= args.target_ms else "FAIL"
            if verdict == "FAIL":
                failed.append(f"{username}/{mode}")
            print(
                f"{username:<12}{mode:<10}{visible:>10,}{statistics.median(samples):>8.1f}ms"
                f"{p95:>8.1f}ms{max(samples):>8.1f}ms  {verdict}"
            )
            for text, values in per_query.items():
                slowest.append((statistics.median(values), username, mode, text))
    slowest.sort(reverse=True)
    print()
    print("slowest queries (median ms of the runs):")
    for ms, username, mode, text in slowest[:10]:
        print(f"  {ms:7.1f} ms  {username:<12}{mode:<10}{text}")
    seen = set()
    for _ms, username, _mode, text in slowest:
        if len(seen) >= args.plans:
            break
        if (username, text) in seen:
            continue
        seen.add((username, text))
        print()
        print(f"EXPLAIN (ANALYZE, BUFFERS) dropdown for {username}, {text!r}:")
        for _sql, plan in plans(username, text):
            print(indent(summary_of_plan(plan)))
    print()
    print(
        f"summary: p95 target {args.target_ms:g} ms; "
        + (f"FAILED: {', '.join(failed)}" if failed else "all users and modes within target")
    )
    print(
        "reproduce: DJANGO_DEBUG=true DATABASE_URL=postgres://…/<db> .venv/bin/python "
        "bench/search.py " + " ".join(sys.argv[1:] if argv is None else argv)
    )
    return 0  # a report, not a gate


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of attachments (KNW-4): reading the text of a 50-page PDF, and
the one-box search over attachment texts.

- *extraction*: a generated 50-page PDF (40 lines a page, Chinese with some
  Latin, about 130,000 characters) is attached to a customer of ``rep``
  through the upload service and its text read by the task's service
  function, in this process as in a worker: PDF parsing, jieba and pinyin,
  the UPDATE of text and search document. Target: at most 5 s.
- *search*: the attachments provider of the one-box search (the user's
  scope of every scoped model, then one query: scoped GIN scan, the check of
  each candidate against its record's ``visible_to``, ranking of at most 500)
  for ``rep``, ``manager``, ``branch_mgr`` and ``executive``, p95 over about
  40 queries (common and rare words, pinyin, initials). Target: p95 at most
  150 ms at 1,000,000 attachment texts.

It runs on the bench database (``<name>_bench``, see ``bench/run.py``) and
reports on what is there. ``--attachments N`` tops the table up to N rows by
SQL: each on a random customer, with that customer's scope copied, and a
document of 60 words drawn from jieba's dictionary with their pinyin (files
are not written: the search reads only the database). The demo data must be
there (seeded here when the demo users are missing).

Usage::

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python -m bench.attachments --attachments 1000000
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from bench.run import Result, select_bench_database, setup_django  # noqa: E402

USERS = ["rep", "manager", "branch_mgr", "executive"]
BATCH = 20_000
WORDS_PER_DOCUMENT = 60


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attachments", type=int, default=0, help="top up to N attachments")
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="extraction runs")
    return parser.parse_args(argv)


def vocabulary(size: int = 20_000) -> list[tuple[str, str, str]]:
    """The ``size`` most frequent Chinese words of jieba's dictionary, with
    their full pinyin and initials."""
    import jieba
    from pypinyin import lazy_pinyin

    from crm.textsearch import is_han

    jieba.initialize()
    words = sorted(
        (
            (freq, word)
            for word, freq in jieba.dt.FREQ.items()
            if freq and 2 <= len(word) <= 4 and all(is_han(ch) for ch in word)
        ),
        reverse=True,
    )[:size]
    result = []
    for _, word in words:
        syllables = lazy_pinyin(word)
        result.append((word, "".join(syllables), "".join(s[:1] for s in syllables)))
    return result


def top_up(target: int, words, rng: random.Random) -> int:
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from crm.attachments.models import Attachment
    from customers.models import Customer

    have = Attachment.objects.count()
    if have >= target:
        return 0
    content_type = ContentType.objects.get_for_model(Customer)
    uploader = get_user_model().objects.get(username="admin").pk
    customer_ids = list(Customer.objects.values_list("id", flat=True))
    weights = [1 / (rank + 10) for rank in range(len(words))]  # Zipf-like
    added = 0
    while have + added < target:
        n = min(BATCH, target - have - added)
        ids = rng.choices(customer_ids, k=n)
        documents = []
        for _ in range(n):
            chosen = rng.choices(words, weights=weights, k=WORDS_PER_DOCUMENT)
            documents.append(" ".join(token for triple in chosen for token in triple))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {Attachment._meta.db_table} (
                    content_type_id, object_id, file, name, size, kind, mime_type,
                    uploaded_by_id, uploaded_at, text, extraction, extraction_error,
                    owner_id, department_id, branch_id, is_archived, search_vector)
                SELECT %s, c.id, 'bench/none.txt', 'bench-' || d.n || '.txt', 1000, 'text',
                       'text/plain', %s, now(), '', 'done', '',
                       c.owner_id, c.department_id, c.branch_id, false,
                       strip(to_tsvector('simple', d.doc))
                FROM unnest(%s::bigint[], %s::text[]) WITH ORDINALITY AS d(customer_id, doc, n)
                JOIN customers_customer c ON c.id = d.customer_id
                """,
                [content_type.pk, uploader, ids, documents],
            )
        added += n
        print(f"  attachments: {have + added:,}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Attachment._meta.db_table}")
    return added


def extraction(repeat: int) -> list[float]:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.attachments.pdf import simple_pdf
    from crm.attachments.services import attachment_extract_text, attachment_upload
    from customers.models import Customer

    rep = get_user_model().objects.get(username="rep")
    customer = Customer.objects.filter(owner=rep).order_by("pk").first()
    line = "第{p}页第{i}行：变频器选型、节能改造效益分析、门禁系统验收标准 {p}.{i}"
    pdf = simple_pdf([[line.format(p=p, i=i) for i in range(40)] for p in range(50)])
    samples = []
    for _ in range(repeat):
        attachment = attachment_upload(
            record=customer, file=SimpleUploadedFile("bench.pdf", pdf), by=rep
        )
        started = time.perf_counter()
        assert attachment_extract_text(attachment_id=attachment.pk) == "done"
        samples.append((time.perf_counter() - started) * 1000)
        attachment.file.delete(save=False)
        attachment.delete()
    return samples


def search(username: str, queries: list[str]) -> Result:
    from django.contrib.auth import get_user_model

    from crm.search import _search_transaction, search_providers

    provider = search_providers.get("attachments")
    samples, visible = [], 0
    for query in queries * 2:
        user = get_user_model().objects.get(username=username)  # a fresh scope
        started = time.perf_counter()
        with _search_transaction(user, [provider]):
            rows = list(provider.queryset(user=user, query=query)[:8])
        samples.append((time.perf_counter() - started) * 1000)
        visible = max(visible, len(rows))
    return Result(username=username, visible=visible, samples_ms=tuple(samples[len(queries) :]))


def main(argv=None) -> int:
    args = parse_args(argv)
    database = select_bench_database()
    setup_django()
    from django.core.management import call_command

    from crm.attachments.models import Attachment

    call_command("migrate", interactive=False, verbosity=0)
    from django.contrib.auth import get_user_model

    if not get_user_model().objects.filter(username="rep").exists():
        call_command("seed_demo", verbosity=0)
    rng = random.Random(7)
    words = vocabulary()
    if args.attachments:
        top_up(args.attachments, words, rng)
    print("=" * 78)
    print("CRM benchmark: attachments")
    print(f"database:    {database}")
    print(f"attachments: {Attachment.objects.count():,} rows")
    samples = extraction(args.repeat)
    print(
        f"extraction of a 50-page PDF: median {sorted(samples)[len(samples) // 2]:.0f} ms,"
        f" max {max(samples):.0f} ms (target <= 5000 ms)"
    )
    common = [w for w, _, _ in words[:50]]
    rare = [w for w, _, _ in words[5000:20000]]
    queries = [
        *rng.sample(common, args.queries // 4),
        *rng.sample(rare, args.queries // 4),
        *[p for _, p, _ in rng.sample(words[:2000], args.queries // 4)],
        *[i for _, _, i in rng.sample(words[:2000], args.queries // 4) if len(i) >= 2],
    ]
    buffer = io.StringIO()
    for username in USERS:
        result = search(username, queries)
        buffer.write(
            f"  {username:<11} p95 {result.p95:7.1f} ms  median {result.median:6.1f} ms"
            f"  (at most {result.visible} rows per query)\n"
        )
    print(f"search, {len(queries)} queries, dropdown (8 rows), target p95 <= 150 ms:")
    print(buffer.getvalue(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

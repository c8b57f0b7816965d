"""Benchmark of the customer import and the xlsx export (IMP-1, IMP-2).

What it measures:

- import: a generated file of N customers (default 100,000; CSV by default,
  ``--format xlsx`` for a workbook) with about 5 % duplicates (2.5 % of
  existing customers, 2.5 % repeated rows of the file), through the real
  services: ``import_job_check`` (the preview: parse, validate, duplicate
  detection) and then ``customer_import`` (the same pass again, writing in
  bulk: customers, history rows, lifecycle events, search documents; one
  transaction). Targets: >= 5,000 rows/s for the import, peak memory <= 300 MB.
- export: ``customers_xlsx`` of the N imported customers (a user with scope
  "all"). Targets: <= 8 s, <= 50 MB.

Memory is the growth of the process's peak resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``) over its value just before
the measured step; each phase runs in its own fresh process so that one
phase's peak does not hide the next one's. Timing runs with ``DEBUG`` off.

It runs on its own database, ``<name>_bench`` next to ``DATABASE_URL``'s
(``crm_imp_bench`` by default, see ``--database``), and empties the
customer tables of that database first.

Usage::

    DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm \\
        .venv/bin/python -m bench.imports_exports [--rows 100000] [--format csv|xlsx]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Run as a script, this file's folder comes first on the path, and its name
# would shadow the django-import-export package: put the project there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench.run import BASE_DIR, production_cursors, select_bench_database, setup_django  # noqa: E402

CITIES = ["上海", "北京", "杭州", "苏州", "深圳", "广州", "成都", "武汉", "南京", "西安"]
WORDS = ["启明", "星辰", "云帆", "华信", "瑞达", "远景", "东方", "新智", "天成", "博远", "中科"]
TRADES = ["软件", "科技", "制造", "物流", "能源", "医疗", "教育", "贸易", "建设", "电子"]
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "科技有限公司"]
INDUSTRIES = ["it", "manufacturing", "Finance", "信息技术", "logistics", "energy", "", "retail"]
TYPES = ["end_customer", "distributor", "Partner", "", "end_customer"]
IMPORTER = "bench_importer"


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def credit_code(serial: int) -> str:
    from customers.validators import credit_code_check_character

    first = f"9131{serial:013d}"
    return first + credit_code_check_character(first)


def company(serial: int, rng: random.Random) -> str:
    return (
        f"{rng.choice(CITIES)}{rng.choice(WORDS)}{rng.choice(TRADES)}{serial}{rng.choice(SUFFIXES)}"
    )


def write_file(path: Path, *, rows: int, existing: list[tuple[str, str]], fmt: str) -> None:
    """Stream ``rows`` rows to ``path``; ~2.5 % repeat existing customers, ~2.5 % earlier rows."""
    rng = random.Random(42)
    header = ["客户名称", "统一社会信用代码", "行业", "地区", "电话", "客户类型", "备注"]
    earlier: list[str] = []

    def generate():
        for n in range(rows):
            roll = rng.random()
            if roll < 0.025 and existing:
                name, code = rng.choice(existing)
            elif roll < 0.05 and earlier:
                name, code = rng.choice(earlier), ""
            else:
                name = company(1_000_000 + n, rng)
                code = credit_code(1_000_000 + n) if rng.random() < 0.6 else ""
                if len(earlier) < 5000:
                    earlier.append(name)
            phone = f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}"
            yield [
                name,
                code,
                rng.choice(INDUSTRIES),
                rng.choice(CITIES),
                phone,
                rng.choice(TYPES),
                "批量导入",
            ]

    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(generate())
    else:
        import xlsxwriter

        workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, header)
        for index, row in enumerate(generate(), start=1):
            sheet.write_row(index, 0, row)
        workbook.close()


def prepare(existing_count: int) -> list[tuple[str, str]]:
    """Empty the customer tables, make the importer and ``existing_count`` customers."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from crm.models import Branch, Department
    from crm.services import employee_create
    from customers.models import Customer, LifecycleEvent

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        tables = [
            Customer._meta.db_table,
            Customer.history.model._meta.db_table,
            LifecycleEvent._meta.db_table,
            "customers_importjob",
        ]
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    user = get_user_model().objects.filter(username=IMPORTER).first()
    if user is None:
        branch, _ = Branch.objects.get_or_create(code="bench", defaults={"name": "基准分公司"})
        department = Department.objects.create(branch=branch, name="基准销售部")
        user = employee_create(
            username=IMPORTER,
            password="bench-password-not-used",
            department=department,
            roles=["hq_executive"],
        ).user
    rng = random.Random(7)
    existing = []
    objects = []
    for n in range(existing_count):
        name = company(n, rng)
        code = credit_code(n) if n % 2 else ""
        existing.append((name, code))
        objects.append((name, code))
    # The existing customers go in through the same bulk path (a small import).
    path = Path(tempfile.mkdtemp()) / "existing.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "credit_code"])
        writer.writerows(objects)
    job = _job(user, path)
    from customers.imports import customer_import, import_job_check

    import_job_check(job=job)
    customer_import(job=job, by=user, on_duplicate="skip")
    return existing


def _job(user, path: Path):
    from django.core.files import File

    from customers.imports import import_job_create

    with path.open("rb") as handle:
        upload = File(handle, name=path.name)
        upload.size = path.stat().st_size
        return import_job_create(by=user, kind="customers", upload=upload)


def phase_import(args) -> dict:
    from django.contrib.auth import get_user_model

    from customers.imports import customer_import, import_job_check
    from customers.models import Customer, LifecycleEvent

    existing = prepare(args.existing)
    path = Path(tempfile.mkdtemp()) / f"customers.{args.format}"
    started = time.perf_counter()
    write_file(path, rows=args.rows, existing=existing, fmt=args.format)
    generated = time.perf_counter() - started
    user = get_user_model().objects.get(username=IMPORTER)
    before_customers = Customer.objects.count()

    import customers.search

    search_seconds = [0.0]
    refresh = customers.search.refresh_customer_search

    def timed_refresh(**kwargs):
        started = time.perf_counter()
        refresh(**kwargs)
        search_seconds[0] += time.perf_counter() - started

    customers.search.refresh_customer_search = timed_refresh  # read by the search task

    with production_cursors():
        job = _job(user, path)
        baseline = maxrss_mb()
        started = time.perf_counter()
        import_job_check(job=job)
        check_seconds = time.perf_counter() - started
        check_peak = maxrss_mb() - baseline
        started = time.perf_counter()
        job = customer_import(job=job, by=user, on_duplicate=args.on_duplicate)
        import_seconds = time.perf_counter() - started
        import_peak = maxrss_mb() - baseline
    history = Customer.history.count()
    return {
        "file": f"{path.name}, {path.stat().st_size / 1e6:.1f} MB, generated in {generated:.1f} s",
        "rows": job.total,
        "duplicates": job.duplicate_count,
        "status": job.status,
        "errors": job.result.get("error_count", 0),
        "result": {k: job.result.get(k) for k in ("created", "updated", "skipped")},
        "check_seconds": check_seconds,
        "import_seconds": import_seconds - search_seconds[0],
        "search_seconds": search_seconds[0],
        "check_peak_mb": check_peak,
        "import_peak_mb": import_peak,
        "customers_before": before_customers,
        "customers_after": Customer.objects.count(),
        "history_rows": history,
        "lifecycle_events": LifecycleEvent.objects.count(),
        "search_documents": Customer.objects.filter(search_vector__isnull=False).count(),
    }


def phase_export(args) -> dict:
    from django.contrib.auth import get_user_model

    from customers.exports import customers_xlsx, export_queryset

    user = get_user_model().objects.get(username=IMPORTER)
    with production_cursors():
        baseline = maxrss_mb()
        started = time.perf_counter()
        queryset = export_queryset(user=user, params={})
        rows = queryset.count()
        handle = customers_xlsx(queryset)
        seconds = time.perf_counter() - started
        peak = maxrss_mb() - baseline
        size = handle.seek(0, os.SEEK_END)
        handle.close()
    return {"rows": rows, "seconds": seconds, "peak_mb": peak, "size_mb": size / 1e6}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=5_000, help="customers there before")
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--on-duplicate", choices=["skip", "update", "create"], default="skip")
    parser.add_argument(
        "--database", default="crm_imp", help="bench database is <this>_bench (default crm_imp)"
    )
    parser.add_argument("--phase", choices=["import", "export"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _use_database(name: str) -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.phase:
        _use_database(args.database)
        select_bench_database()
        setup_django()
        result = phase_import(args) if args.phase == "import" else phase_export(args)
        print(json.dumps(result))
        return 0

    raw_argv = list(sys.argv[1:] if argv is None else argv)

    def run(phase: str) -> dict:
        done = subprocess.run(
            [sys.executable, __file__, *raw_argv, "--phase", phase],
            capture_output=True,
            text=True,
            cwd=BASE_DIR,
        )
        if done.returncode:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"the {phase} phase failed")
        return json.loads(done.stdout.strip().splitlines()[-1])

    imported = run("import")
    exported = run("export")
    rate = imported["rows"] / imported["import_seconds"]
    print("=" * 78)
    print("CRM benchmark: customer import and xlsx export (IMP-1, IMP-2)")
    print(f"database: {args.database}_bench; machine: {os.cpu_count()} CPUs")
    print(f"file: {imported['file']}")
    print(
        f"rows {imported['rows']:,}, duplicates flagged {imported['duplicates']:,}, "
        f"on duplicate: {args.on_duplicate}, status {imported['status']}, "
        f"result {imported['result']}"
    )
    print(
        f"check (preview) : {imported['check_seconds']:6.1f} s  "
        f"{imported['rows'] / imported['check_seconds']:8,.0f} rows/s  "
        f"peak +{imported['check_peak_mb']:.0f} MB"
    )
    print(
        f"import (write)  : {imported['import_seconds']:6.1f} s  {rate:8,.0f} rows/s  "
        f"peak +{imported['import_peak_mb']:.0f} MB   "
        f"[target >= 5,000 rows/s, <= 300 MB: "
        f"{'PASS' if rate >= 5000 and imported['import_peak_mb'] <= 300 else 'FAIL'}]"
    )
    print(
        f"search documents after the commit (tasks; eager here): "
        f"{imported['search_seconds']:.1f} s, "
        f"{imported['rows'] / max(imported['search_seconds'], 1e-9):,.0f} rows/s"
    )
    print(
        f"written: customers {imported['customers_before']:,} -> "
        f"{imported['customers_after']:,}, history rows {imported['history_rows']:,}, "
        f"lifecycle events {imported['lifecycle_events']:,}, "
        f"search documents {imported['search_documents']:,}"
    )
    print(
        f"export xlsx     : {exported['seconds']:6.1f} s for {exported['rows']:,} rows, "
        f"peak +{exported['peak_mb']:.0f} MB, {exported['size_mb']:.1f} MB file   "
        f"[target <= 8 s, <= 50 MB: "
        f"{'PASS' if exported['seconds'] <= 8 and exported['peak_mb'] <= 50 else 'FAIL'}]"
    )
    print("memory: growth of ru_maxrss (peak RSS) over the step's start, fresh process per phase")
    print(
        "reproduce: DJANGO_DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm "
        ".venv/bin/python -m bench.imports_exports " + " ".join(raw_argv)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

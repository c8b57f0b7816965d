"""Import from real files of other systems, and hostile ones (issue 17):
RFC 4180 CSV, NUL bytes, caps on what a file may hold, failures that end
the job, concurrent imports, contacts carried by customer files, private
uploads, and the mapping of unknown values and columns on the preview."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.static import serve

from customers import imports
from customers.imports import (
    CELL_TOO_LONG,
    CONTACT_NEEDS_NAME,
    IMPORT_FAILED,
    IMPORT_STUCK,
    NUL_IN_ROW,
    SHEET_TOO_WIDE,
    TOO_MANY_ROWS,
    TOO_MANY_STRINGS,
    UNKNOWN_OPTION,
    csv_delimiter,
    customer_import,
    import_job_check,
    import_job_create,
    import_jobs_unstick,
)
from customers.models import Contact, Customer, ImportJob, ImportMapping, Industry
from customers.validators import credit_code_check_character
from tests.factories import make_contact, make_customer

pytestmark = pytest.mark.django_db


def code(serial: int) -> str:
    first = f"91310000MA1K{serial:05d}"
    return first + credit_code_check_character(first)


def csv_file(text: str, name="customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def raw_file(raw: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, raw)


def upload(client, file, kind="customers"):
    return client.post(reverse("customers:import"), {"kind": kind, "file": file})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def job_url(job, name="customers:import_job"):
    return reverse(name, kwargs={"token": job.token})


def confirm(client, job, on_duplicate="skip"):
    return client.post(job_url(job, "customers:import_confirm"), {"on_duplicate": on_duplicate})


def messages(job) -> list[str]:
    return [error["message"] for error in job.errors]


# --- CSV as RFC 4180 says ------------------------------------------------------------------


def test_doubled_quotes_inside_quoted_fields_are_read_right(org, client):
    """csv.Sniffer took this file for one without doubled quotes (no quoted
    field without a comma in it) and stored 上海"正安""软件有限公司 and a
    third column."""
    client.force_login(org.rep)
    text = (
        'name,region\r\n"上海""正安""软件有限公司, 浦东分公司",上海\r\n'
        '"杭州, 启明 ""软件""有限公司",杭州\r\n'
    )

    upload(client, csv_file(text))
    job = latest_job()
    assert job.status == "checked", job.errors
    confirm(client, job)

    assert sorted(Customer.objects.values_list("name", "region")) == [
        ('上海"正安"软件有限公司, 浦东分公司', "上海"),
        ('杭州, 启明 "软件"有限公司', "杭州"),
    ]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("name,region", ","),
        ("name;region;phone", ";"),
        ("name\tregion", "\t"),
        ('"name;a","x;y",phone,z', ","),  # semicolons inside quotes do not count
        ("name", ","),
        ('"a""b";c\nx,y,z,w', ";"),  # only the header line counts
        ("name\n甲;乙有限公司", ","),  # one column: a semicolon in the data is no delimiter
        ("\n\n name;region", ";"),  # blank lines before the header
    ],
)
def test_the_delimiter_is_chosen_among_comma_semicolon_and_tab(header, expected):
    assert csv_delimiter(header + "\n1,2\n") == expected


def test_semicolon_and_tab_files_import(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name;region\n甲有限公司;杭州\n"))
    assert latest_job().status == "checked"
    upload(client, csv_file("name\tregion\n乙有限公司\t\"上海\"\n"))
    job = latest_job()
    confirm(client, job)
    assert Customer.objects.get().region == "上海"


# --- NUL bytes and other damage -------------------------------------------------------------


def test_a_nul_byte_late_in_a_csv_is_refused_at_the_check_naming_the_row(org, client):
    client.force_login(org.rep)
    notes = "这是一段足够长的备注文字用来把文件撑过四千字节"
    rows = [f"客户{n:03d}有限公司,杭州,{notes}" for n in range(60)]
    rows[49] = "坏\x00客户有限公司,杭州,x"
    text = "name,region,notes\n" + "\n".join(rows) + "\n"
    assert text.encode().index(b"\x00") > 4096

    upload(client, csv_file(text))

    job = latest_job()
    assert job.status == "invalid"
    assert messages(job) == [str(NUL_IN_ROW % {"row": 51})]
    page = client.get(job_url(job)).content.decode()
    assert "Row 51 contains a NUL byte" in page
    assert confirm(client, job).status_code == 409
    assert not Customer.objects.exists()


def test_control_characters_in_cells_are_dropped(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name,notes\n甲\x01有限\x1b公司,第一行\n"))
    job = latest_job()
    confirm(client, job)
    assert Customer.objects.get().name == "甲有限公司"


def test_a_cell_longer_than_the_cap_is_refused_not_a_500(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name,notes\n甲有限公司," + "长" * 40_000 + "\n"))
    job = latest_job()
    assert job.status == "invalid"
    assert messages(job) == [str(CELL_TOO_LONG % {"row": 2, "limit": "32,767"})]


def test_more_rows_than_the_cap_are_refused(org, client, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    client.force_login(org.rep)
    upload(client, csv_file("name\n" + "".join(f"客户{n}有限公司\n" for n in range(10))))
    job = latest_job()
    assert messages(job) == [str(TOO_MANY_ROWS % {"limit": "5"})]


# --- Every failure ends the job ----------------------------------------------------------------


def test_an_unexpected_failure_while_writing_ends_the_job_as_failed(org, client, monkeypatch):
    """Fault injection: the search documents cannot be written. The job ends
    failed with a message, nothing is half-written, nothing stays running."""
    client.force_login(org.rep)
    upload(client, csv_file("name\n甲有限公司\n乙有限公司\n"))
    job = latest_job()

    def broken(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(imports, "refresh_customer_search", broken)
    response = confirm(client, job)

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, messages(job)) == ("failed", [str(IMPORT_FAILED)])
    assert "disk on fire" not in client.get(job_url(job)).content.decode()
    assert not Customer.objects.exists()
    assert not Customer.history.exists()
    # A failed job does not start again.
    assert customer_import(job=job, by=org.rep, on_duplicate="skip").status == "failed"


def test_a_job_whose_worker_was_lost_ends_as_failed(org, client):
    client.force_login(org.rep)
    job = import_job_create(by=org.rep, kind="customers", upload=csv_file("name\n甲有限公司\n"))
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now() - timedelta(hours=3)
    )
    fresh = import_job_create(by=org.rep, kind="customers", upload=csv_file("name\n乙有限公司\n"))

    page = client.get(job_url(job)).content.decode()

    job.refresh_from_db()
    fresh.refresh_from_db()
    assert (job.status, messages(job)) == ("failed", [str(IMPORT_STUCK)])
    assert "stopped without finishing" in page
    assert fresh.status == "checking"  # a job in progress for minutes is left alone
    assert import_jobs_unstick() == 0


# --- Concurrent imports --------------------------------------------------------------------------


def at_once(actions: dict) -> dict[str, object]:
    """Run ``actions`` (name -> callable) in threads released together, each
    on its own database connection; what each returned (or raised)."""
    barrier = threading.Barrier(len(actions))
    outcomes: dict[str, object] = {}

    def run(name, action):
        try:
            barrier.wait(timeout=10)
            outcomes[name] = action()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in actions.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_codes", [False, True], ids=["names", "credit-codes"])
def test_two_users_importing_the_same_new_customers_at_once_create_them_once(org, with_codes):
    lines = [
        f"{name},{code(n) if with_codes else ''},{phone}"
        for n, (name, phone) in enumerate(
            [("甲科技有限公司", "0571-1111111"), ("乙科技有限公司", ""), ("丙科技有限公司", "")]
        )
    ]
    text = "name,credit_code,phone\n" + "\n".join(lines) + "\n"
    jobs = {}
    for user in (org.rep, org.manager):
        job = import_job_create(by=user, kind="customers", upload=csv_file(text))
        jobs[user.username] = import_job_check(job=job)
        assert jobs[user.username].status == "checked"

    # "Create anyway" never creates a second customer with a taken credit
    # code; without codes, "skip" is what keeps the second import out.
    on_duplicate = "create" if with_codes else "skip"
    outcomes = at_once(
        {
            name: lambda job=job: customer_import(
                job=job, by=job.created_by, on_duplicate=on_duplicate
            )
            for name, job in jobs.items()
        }
    )

    assert Customer.objects.count() == 3
    results = sorted(
        (o.status, o.result["created"], o.result["skipped"], o.result["late_duplicates"])
        for o in outcomes.values()
    )
    # The second import waited for the first and saw its rows as duplicates.
    assert results == [("done", 0, 3, 3), ("done", 3, 0, 0)]
    for job in ImportJob.objects.all():
        assert "duplicate key" not in str(job.errors)


# --- Contacts carried by customer files -----------------------------------------------------


def test_contact_columns_are_imported_with_the_customer(org, client):
    client.force_login(org.rep)
    text = (
        "客户名称,联系人,职务,手机,邮箱\n"
        "甲科技有限公司,张三,总经理,138 0000 0001,ZS@Example.com\n"
        "乙科技有限公司,,,,\n"
    )
    upload(client, csv_file(text))
    job = latest_job()
    assert job.status == "checked", job.errors
    confirm(client, job)
    job.refresh_from_db()

    contact = Contact.objects.get()
    assert (contact.customer.name, contact.name, contact.title, contact.email) == (
        "甲科技有限公司",
        "张三",
        "总经理",
        "zs@example.com",
    )
    assert (contact.normalized_mobile, contact.owner, contact.branch) == (
        "13800000001",
        org.rep,
        org.east,
    )
    assert contact.history.get().history_user == org.rep
    assert job.result["contacts_created"] == 1


def test_a_contact_without_a_name_is_an_error(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("客户名称,联系人,手机\n甲科技有限公司,,13800000001\n"))
    job = latest_job()
    assert [e["text"] for e in job.errors] == [f"row 2, column 联系人: {CONTACT_NEEDS_NAME}"]


def test_without_a_contact_name_column_the_contact_columns_are_ignored(org, client):
    """A customer file with only an e-mail or mobile column (the company's)
    imports as before: the columns are ignored, no contact is made."""
    client.force_login(org.rep)
    upload(client, csv_file("客户名称,手机,email\n甲科技有限公司,13800000001,a@b.cn\n"))
    job = latest_job()
    assert (job.status, job.result["ignored_columns"]) == ("checked", ["手机", "email"])
    confirm(client, job)
    assert Customer.objects.count() == 1
    assert not Contact.objects.exists()


def test_a_contacts_mobile_marks_the_customer_as_a_duplicate(org, client):
    existing = make_customer(org.rep, name="杭州启明软件有限公司")
    make_contact(existing, name="李四", mobile="13900000002")
    client.force_login(org.rep)
    text = (
        "customer name,contact name,mobile\n"
        "启明软件(杭州)有限责任公司分部,李四,+86 139-0000-0002\n"
        "新客户有限公司,王五,13700000003\n"
        "又一个新客户有限公司,赵六,137 0000 0003\n"
    )
    upload(client, csv_file(text))
    job = latest_job()

    assert job.duplicates == [
        {"row": 2, "on": ["mobile"], "existing": {"id": existing.pk, "name": existing.name}},
        {"row": 4, "on": ["mobile"], "file_row": 3},
    ]
    confirm(client, job, "update")
    assert Customer.objects.count() == 2  # row 2 updated the existing one, row 4 skipped
    assert Contact.objects.filter(customer=existing).count() == 1  # 李四 is there already


def test_mobile_duplicates_are_found_with_a_query_per_chunk(org, django_assert_max_num_queries):
    for n in range(3):
        make_contact(make_customer(org.rep), mobile=f"1390000000{n}")
    rows = "".join(f"新客户{n}有限公司,联系人{n},1390000000{n % 5}\n" for n in range(40))
    job = import_job_create(
        by=org.rep, kind="customers", upload=csv_file("name,contact name,mobile\n" + rows)
    )
    with django_assert_max_num_queries(12):
        import_job_check(job=job)
    assert job.duplicate_count == 40 - 2  # 3 existing mobiles; 5 mobiles, 2 new, repeated


# --- xlsx bombs ---------------------------------------------------------------------------------


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite(xlsx: bytes, changes: dict[str, callable]) -> bytes:
    """The workbook with some of its parts rewritten (name -> bytes -> bytes)."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in changes:
                data = changes[item.filename](data)
            target.writestr(item.filename, data)
        for name, change in changes.items():
            if name not in source.namelist():
                target.writestr(name, change(b""))
    return buffer.getvalue()


def timed_check(client, raw: bytes) -> tuple[ImportJob, float]:
    started = time.perf_counter()
    upload(client, raw_file(raw, "bomb.xlsx"))
    return latest_job(), time.perf_counter() - started


def test_a_declared_dimension_of_a_whole_sheet_is_not_trusted(org, client):
    """10,000 empty rows under a dimension of A1:XFD10000: openpyxl made each
    16,384 cells wide (17 s here); the rows are as wide as their cells."""
    empty_rows = b"".join(b'<row r="%d"/>' % n for n in range(3, 10_001))

    def whole_sheet(data):
        data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD10000"', data)
        return data.replace(b"</sheetData>", empty_rows + b"</sheetData>")

    xlsx = rewrite(
        xlsx_bytes([["name", "region"], ["甲有限公司", "杭州"]]),
        {"xl/worksheets/sheet1.xml": whole_sheet},
    )
    assert len(xlsx) < 40_000
    client.force_login(org.rep)

    job, seconds = timed_check(client, xlsx)

    assert (job.status, job.total) == ("checked", 1)
    assert seconds < 3


def test_a_cell_far_to_the_right_is_refused_quickly(org, client):
    def far_cells(data):
        cells = b"".join(
            b'<row r="%d"><c r="XFD%d" t="inlineStr"><is><t>x</t></is></c></row>' % (n, n)
            for n in range(3, 10_000)
        )
        return data.replace(b"</sheetData>", cells + b"</sheetData>")

    xlsx = rewrite(
        xlsx_bytes([["name"], ["甲有限公司"]]), {"xl/worksheets/sheet1.xml": far_cells}
    )
    client.force_login(org.rep)

    job, seconds = timed_check(client, xlsx)

    assert job.status == "invalid"
    assert messages(job) == [str(SHEET_TOO_WIDE % {"column": "XFD", "limit": 200})]
    assert seconds < 3


def test_two_million_shared_strings_are_refused_quickly(org, client):
    count = 2_000_000
    strings = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' count="1" uniqueCount="1">' + b"<si><t>x</t></si>" * count + b"</sst>"
    )
    xlsx = rewrite(
        xlsx_bytes([["name"], ["甲有限公司"]]),
        {
            "xl/sharedStrings.xml": lambda _data: strings,
            "[Content_Types].xml": lambda data: data.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
            if b"sharedStrings" not in data
            else data,
        },
    )
    assert len(xlsx) < 200_000
    client.force_login(org.rep)

    job, seconds = timed_check(client, xlsx)

    assert job.status == "invalid"
    assert messages(job) == [str(TOO_MANY_STRINGS % {"limit": "1,000,000"})]
    assert seconds < 5


# --- Private uploads -----------------------------------------------------------------------------


def test_uploads_are_not_under_the_public_media_url(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name\n甲有限公司\n"))
    job = latest_job()
    request = RequestFactory().get(settings.MEDIA_URL + job.file.name)

    # What crm/urls.py serves in DEBUG at MEDIA_URL does not hold the file.
    with pytest.raises(Http404):
        serve(request, job.file.name, document_root=settings.MEDIA_ROOT)
    assert not job.file.path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError):
        job.file.url  # noqa: B018 - private files have no URL

    own = client.get(job_url(job, "customers:import_file"))
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == "name\n甲有限公司\n".encode()
    client.force_login(org.manager)  # sees rep's customers, but not rep's uploads
    assert client.get(job_url(job, "customers:import_file")).status_code == 404


# --- Files from other systems: synonyms, bare domains, mapping ----------------------------------


@pytest.mark.parametrize(
    ("column", "written", "stored"),
    [
        ("type", "终端客户", "end_customer"),
        ("type", "End user", "end_customer"),
        ("type", "代理商", "distributor"),
        ("type", "Reseller", "distributor"),
        ("industry", "互联网", "it"),
        ("industry", "Banking", "finance"),
        ("industry", "批发和零售业", "retail"),
        ("source", "转介绍", "referral"),
        ("credit_status", "黑名单", "blocked"),
        ("value_grade", "VIP", "A"),
    ],
)
def test_common_words_for_the_built_in_options_in_both_languages(
    org, client, column, written, stored
):
    client.force_login(org.rep)
    upload(client, csv_file(f"name,{column}\n甲有限公司,{written}\n"))
    job = latest_job()
    assert job.status == "checked", job.errors
    confirm(client, job)
    assert getattr(Customer.objects.get(), column) == stored


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("www.example.com", "https://www.example.com"),
        ("example.com.cn/about", "https://example.com.cn/about"),
        ("http://example.com", "http://example.com"),
        ("//example.com", "https://example.com"),
    ],
)
def test_websites_without_a_scheme_are_accepted(org, client, written, stored):
    client.force_login(org.rep)
    upload(client, csv_file(f"name,网址\n甲有限公司,{written}\n"))
    job = latest_job()
    assert job.status == "checked", job.errors
    confirm(client, job)
    assert Customer.objects.get().website == stored


FOREIGN = (
    "客户名称,客户类型,行业,网址,成立日期\n"
    "甲农业科技有限公司,终端客户,农林牧渔,www.jia.com,2001-05-01\n"
    "乙农业有限公司,直客,农林牧渔,yi.cn,2003-01-01\n"
    "丙能源有限公司,经销商,采矿,,\n"
)


def test_unknown_values_and_columns_are_mapped_on_the_preview_and_remembered(org, client):
    client.force_login(org.rep)
    upload(client, csv_file(FOREIGN, name="from-other-crm.csv"))
    job = latest_job()
    options = ", ".join(str(label) for label in Industry.labels)
    assert job.status == "invalid"
    assert [e["text"] for e in job.errors] == [
        f"row 2, column 行业: {UNKNOWN_OPTION % {'value': '农林牧渔', 'options': options}}",
        f"row 3, column 行业: {UNKNOWN_OPTION % {'value': '农林牧渔', 'options': options}}",
        f"row 4, column 行业: {UNKNOWN_OPTION % {'value': '采矿', 'options': options}}",
    ]
    assert job.result["unknown_values"] == [
        {"field": "industry", "column": "行业", "value": "农林牧渔", "count": 2, "row": 2},
        {"field": "industry", "column": "行业", "value": "采矿", "count": 1, "row": 4},
    ]
    assert job.result["ignored_columns"] == ["成立日期"]
    page = client.get(job_url(job)).content.decode()
    assert 'data-panel="import-mapping"' in page
    assert 'data-unknown-value="农林牧渔"' in page
    assert 'data-ignored-column="成立日期"' in page
    assert '<option value="notes">' in page
    assert '<option value="industry">' not in page  # the file has that column

    response = client.post(
        job_url(job, "customers:import_map"),
        {"value_0": "manufacturing", "value_1": "", "column_0": "notes"},
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == "checked", job.errors
    assert job.result["mapped_columns"] == [{"header": "成立日期", "field": "notes"}]
    confirm(client, job)
    rows = Customer.objects.order_by("name").values_list(
        "name", "type", "industry", "website", "notes"
    )
    assert list(rows) == [
        ("丙能源有限公司", "distributor", "", "", ""),
        ("乙农业有限公司", "end_customer", "manufacturing", "https://yi.cn", "2003-01-01"),
        (
            "甲农业科技有限公司",
            "end_customer",
            "manufacturing",
            "https://www.jia.com",
            "2001-05-01",
        ),
    ]

    # The next file of the same user: remembered. Another user: asked again.
    upload(client, csv_file("name,industry\n丁农业有限公司,农林牧渔\n"))
    assert latest_job().status == "checked"
    client.force_login(org.rep_b)
    upload(client, csv_file("name,industry\n戊农业有限公司,农林牧渔\n"))
    assert latest_job().status == "invalid"
    assert ImportMapping.objects.filter(user=org.rep_b).count() == 0


def test_a_mapping_to_a_value_that_is_not_an_option_is_refused(org, client):
    client.force_login(org.rep)
    upload(client, csv_file(FOREIGN))
    job = latest_job()
    url = job_url(job, "customers:import_map")
    assert client.post(url, {"value_0": "farming"}).status_code == 400
    assert client.post(url, {"column_0": "owner__password"}).status_code == 400
    assert not ImportMapping.objects.exists()
    client.force_login(org.manager)
    assert client.post(url, {"value_0": "it"}).status_code == 404
    assert not ImportMapping.objects.exists()


def test_a_view_only_user_gets_no_mapping_form(org, client):
    client.force_login(org.rep)
    upload(client, csv_file(FOREIGN))
    job = latest_job()
    ImportJob.objects.filter(pk=job.pk).update(created_by=org.secretary)
    client.force_login(org.secretary)
    assert 'data-panel="import-mapping"' not in client.get(job_url(job)).content.decode()
    assert client.post(job_url(job, "customers:import_map"), {"value_0": "it"}).status_code == 403


def test_a_database_clash_is_reported_in_words(org):
    """What the loser of a race on a credit code reads: words, not PostgreSQL's text."""
    from django.db import IntegrityError, transaction

    from customers.imports import CLASH_CREDIT_CODE, _database_failure

    make_customer(org.rep, credit_code=code(1))
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        Customer.objects.create(
            name="另一个", credit_code=code(1), owner=org.rep, department=org.team1, branch=org.east
        )
    assert _database_failure(caught.value) == str(CLASH_CREDIT_CODE)
    assert "duplicate key" not in _database_failure(caught.value)


def test_the_preview_with_its_mapping_form_has_a_constant_query_count(org, client):
    from django.test.utils import CaptureQueriesContext

    client.force_login(org.rep)
    counts = []
    for industries in (["农林牧渔"], [f"行业{n}" for n in range(30)]):
        rows = "".join(f"客户{n}有限公司,{industry},x\n" for n, industry in enumerate(industries))
        upload(client, csv_file("name,industry,成立日期\n" + rows))
        job = latest_job()
        assert len(job.result["unknown_values"]) == len(industries)
        client.get(job_url(job))  # warm the session and permission caches
        with CaptureQueriesContext(connection) as captured:
            client.get(job_url(job))
        counts.append(len(captured.captured_queries))
    # session, user, the job, and the permission check (roles): not per value
    assert counts == [5, 5]


def test_the_periodic_task_ends_stuck_jobs(org):
    from customers.tasks import import_jobs_unstick as task

    job = import_job_create(by=org.rep, kind="customers", upload=csv_file("name\n甲有限公司\n"))
    ImportJob.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(hours=5))
    assert task() == 1
    job.refresh_from_db()
    assert job.status == "failed"


def test_an_import_holds_a_bounded_number_of_locks(org, monkeypatch):
    """Locks go by bucket (at most ``LOCK_BUCKETS`` per import, whatever the
    size of the file: per-key locks ran out of PostgreSQL's lock table at
    10,000 rows); all are taken at the start, in one order."""
    monkeypatch.setattr(imports, "CHUNK_SIZE", 100)
    rows = "".join(f"客户{n}有限公司,0571-{n:07d}\n" for n in range(600))
    job = import_job_create(by=org.rep, kind="customers", upload=csv_file("name,phone\n" + rows))
    job = import_job_check(job=job)
    assert 32 < len(job.result["lock_buckets"]) <= imports.LOCK_BUCKETS

    job = customer_import(job=job, by=org.rep, on_duplicate="skip")

    assert (job.status, job.result["created"]) == ("done", 600)


def test_a_remembered_header_mapping_yields_to_the_files_own_column():
    from customers.imports import map_header
    from customers.resources import CUSTOMER_COLUMNS

    layout, errors = map_header(
        ["成立日期", "name", "备注"], CUSTOMER_COLUMNS, {"成立日期": "notes", "别名": "short_name"}
    )
    assert (layout.positions["name"], layout.positions["notes"]) == (1, 2)
    assert (layout.ignored, layout.mapped, errors) == (["成立日期"], [], [])
    layout, _ = map_header(["成立日期", "name"], CUSTOMER_COLUMNS, {"成立日期": "notes"})
    assert layout.mapped == [{"header": "成立日期", "field": "notes"}]

"""Import of customers and contacts (IMP-1): upload, check, duplicates, confirm."""

from __future__ import annotations

import codecs
import io
import uuid

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from customers import imports
from customers.imports import (
    AMBIGUOUS_CUSTOMER,
    BAD_DATE,
    EMPTY_FILE,
    MISSING_COLUMN,
    NO_DATA_ROWS,
    NOT_XLSX,
    OWNER_OUTSIDE_SCOPE,
    REQUIRED_VALUE,
    UNKNOWN_CUSTOMER,
    UNKNOWN_OPTION,
    UNKNOWN_OWNER,
    WRONG_ENCODING,
    customer_import,
    import_job_check,
    import_job_create,
    run_pass,
)
from customers.models import (
    Contact,
    ContactJobChange,
    Customer,
    ImportJob,
    Industry,
    LifecycleEvent,
)
from customers.validators import INVALID_CHECK_DIGIT, credit_code_check_character
from customers.views_import import FILE_TOO_LARGE, ImportUploadForm
from tests.factories import make_contact, make_customer

pytestmark = pytest.mark.django_db

HEADER = "name,credit_code,industry,region,phone,type"


def code(serial: int) -> str:
    first = f"91310000MA1K{serial:05d}"
    return first + credit_code_check_character(first)


def csv_file(text: str, *, encoding="utf-8", name="customers.csv") -> SimpleUploadedFile:
    raw = text.encode(encoding)
    if encoding == "utf-8-sig":
        assert raw.startswith(codecs.BOM_UTF8)
    return SimpleUploadedFile(name, raw, content_type="text/csv")


def xlsx_file(rows: list[list], name="customers.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(client, file, kind="customers"):
    return client.post(reverse("customers:import"), {"kind": kind, "file": file})


def latest_job() -> ImportJob:
    return ImportJob.objects.latest("id")


def confirm(client, job, on_duplicate="skip"):
    return client.post(
        reverse("customers:import_confirm", kwargs={"token": job.token}),
        {"on_duplicate": on_duplicate},
    )


def error_texts(job) -> list[str]:
    return [error["text"] for error in job.errors]


# --- The happy path ---------------------------------------------------------------


def test_csv_import_creates_customers_like_the_service(org, client):
    client.force_login(org.rep)
    text = (
        f"{HEADER}\n"
        f"杭州启明软件有限公司,{code(1)},it,杭州,0571-88886666,distributor\n"
        "苏州云帆科技有限公司,,Information technology,苏州,,\n"
    )

    response = upload(client, csv_file(text))

    job = latest_job()
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:import_job", kwargs={"token": job.token})
    assert (job.status, job.total, job.encoding, job.errors) == ("checked", 2, "UTF-8", [])
    assert not Customer.objects.exists()  # nothing before confirming
    page = client.get(response["Location"]).content.decode()
    assert "Confirm the import" in page

    response = confirm(client, job)

    job.refresh_from_db()
    assert response.status_code == 302
    assert (job.status, job.result["created"], job.result["skipped"]) == ("done", 2, 0)
    qiming = Customer.objects.get(credit_code=code(1))
    assert (qiming.owner, qiming.department, qiming.branch) == (org.rep, org.team1, org.east)
    assert (qiming.industry, qiming.type, qiming.region) == ("it", "distributor", "杭州")
    assert (qiming.normalized_name, qiming.name_key) == ("杭州启明软件", "启明")
    assert qiming.normalized_phone == "057188886666"
    assert qiming.search_vector is not None
    assert qiming.history.get().history_user == org.rep
    event = LifecycleEvent.objects.get(customer=qiming)
    assert (event.from_stage, event.to_stage, event.by) == ("", "target", org.rep)
    assert event.cause == "Imported from customers.csv"
    yunfan = Customer.objects.get(name="苏州云帆科技有限公司")
    assert (yunfan.industry, yunfan.type, yunfan.credit_code) == ("it", "end_customer", "")


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 with BOM"), ("gb18030", "GB18030 (GBK)")],
)
def test_csv_encoding_is_detected_and_reported(org, client, encoding, detected):
    client.force_login(org.rep)
    upload(client, csv_file("客户名称,地区\n北京华信有限公司,北京\n", encoding=encoding))

    job = latest_job()
    assert (job.status, job.encoding, job.total) == ("checked", detected, 1)
    confirm(client, job)
    assert Customer.objects.get().region == "北京"


def test_xlsx_with_chinese_headers_numbers_and_an_owner(org, client):
    client.force_login(org.manager)
    file = xlsx_file(
        [
            ["客户名称", "统一社会信用代码", "行业", "电话", "负责人", "标签", "不认识的列"],
            ["上海星辰数据有限公司", code(2), "信息技术", 2155556666, "rep_b", "重点,华东", "x"],
        ]
    )

    upload(client, file)
    job = latest_job()
    assert (job.status, job.encoding, job.result["ignored_columns"]) == (
        "checked",
        "xlsx",
        ["不认识的列"],
    )
    confirm(client, job)

    customer = Customer.objects.get()
    assert (customer.owner, customer.industry, customer.phone) == (org.rep_b, "it", "2155556666")
    assert customer.tags == ["重点", "华东"]
    assert customer.history.get().history_user == org.manager


def test_templates_have_the_headers(org, client):
    client.force_login(org.rep)
    for kind, first in (("customers", "name"), ("contacts", "customer")):
        response = client.get(reverse("customers:import_template", kwargs={"kind": kind}))
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        headers = next(sheet.iter_rows(values_only=True))
        assert response.status_code == 200
        assert headers[0] == first
    assert client.get("/customers/import/template/other.xlsx").status_code == 404


# --- Bad input: nothing written, row and column named -------------------------------------


def test_row_errors_name_row_and_column_and_nothing_is_written(org, client):
    client.force_login(org.rep)
    bad_code = code(3)[:-1] + ("0" if code(3)[-1] != "0" else "1")
    text = (
        "客户名称,统一社会信用代码,行业,负责人\n"
        "好公司有限公司,,it,\n"
        f"坏代码有限公司,{bad_code},it,\n"
        "坏行业有限公司,,farming,\n"
        ",,it,\n"
        "坏负责人有限公司,,,nobody\n"
    )

    upload(client, csv_file(text))

    job = latest_job()
    assert job.status == "invalid"
    options = ", ".join(str(label) for label in Industry.labels)
    assert error_texts(job) == [
        f"row 3, column 统一社会信用代码: {INVALID_CHECK_DIGIT}",
        f"row 4, column 行业: {UNKNOWN_OPTION % {'value': 'farming', 'options': options}}",
        f"row 5, column 客户名称: {REQUIRED_VALUE}",
        f"row 6, column 负责人: {UNKNOWN_OWNER % {'value': 'nobody'}}",
    ]
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token}))
    assert "row 3, column 统一社会信用代码" in page.content.decode()
    assert "Errors (4)" in page.content.decode()
    assert confirm(client, job).status_code == 409
    assert not Customer.objects.exists()
    assert not LifecycleEvent.objects.exists()


def test_missing_required_column(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("region,phone\n杭州,123\n"))
    job = latest_job()
    assert (job.status, error_texts(job)) == ("invalid", [f"row 1, column name: {MISSING_COLUMN}"])


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (SimpleUploadedFile("c.xlsx", b"PK\x03\x04 this is no workbook"), NOT_XLSX),
        (SimpleUploadedFile("c.csv", "名称\n测试\n".encode("utf-16")), WRONG_ENCODING),
        (SimpleUploadedFile("c.csv", b"\xff\xfe\xfd\x80\x81"), WRONG_ENCODING),
        (SimpleUploadedFile("c.csv", b"\n\n \n"), EMPTY_FILE),
        (SimpleUploadedFile("c.csv", b"name,region\n"), NO_DATA_ROWS),
    ],
    ids=["malformed-xlsx", "utf-16", "binary", "blank", "header-only"],
)
def test_unreadable_files_are_refused_with_a_message(org, client, file, message):
    client.force_login(org.rep)
    upload(client, file)
    job = latest_job()
    assert job.status == "invalid"
    assert [error["message"] for error in job.errors] == [str(message)]
    assert not Customer.objects.exists()


def test_empty_and_too_large_uploads_are_refused_by_the_form(org, client, settings):
    client.force_login(org.rep)
    response = upload(client, SimpleUploadedFile("empty.csv", b""))
    assert response.status_code == 200
    assert "The submitted file is empty." in response.content.decode()  # Django's own check

    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused(org, client, settings):
    """The middleware refuses the request (413); the form checks the size too
    (for uploads that arrive without a Content-Length)."""
    client.force_login(org.rep)
    settings.MAX_UPLOAD_SIZE = 1024 * 1024
    big = csv_file("name\n" + "某某有限公司\n" * 60_000)

    assert upload(client, big).status_code == 413

    big.seek(0)
    form = ImportUploadForm(data={"kind": "customers"}, files={"file": big})
    assert not form.is_valid()
    assert form.errors["file"] == [FILE_TOO_LARGE % {"limit": 1}]
    assert not ImportJob.objects.exists()


def test_a_row_failing_while_writing_rolls_back_every_chunk(org, client, monkeypatch):
    """All or nothing: chunk 1 is written, chunk 2 fails (its owner left after
    the check), and chunk 1 is rolled back too."""
    client.force_login(org.manager)
    monkeypatch.setattr(imports, "CHUNK_SIZE", 1)
    upload(client, csv_file("name,owner\n甲有限公司,rep\n乙有限公司,rep_b\n"))
    job = latest_job()
    assert job.status == "checked"
    org.rep_b.is_active = False
    org.rep_b.save(update_fields=["is_active"])

    confirm(client, job)

    job.refresh_from_db()
    assert job.status == "failed"
    assert error_texts(job) == [f"row 3, column owner: {UNKNOWN_OWNER % {'value': 'rep_b'}}"]
    assert not Customer.objects.exists()
    assert not Customer.history.exists()


def test_owners_outside_the_importers_scope_are_refused_by_row(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name,owner\n甲有限公司,rep\n乙有限公司,rep_b\n"))
    job = latest_job()
    assert job.status == "invalid"
    assert error_texts(job) == [f"row 3, column owner: {OWNER_OUTSIDE_SCOPE % {'value': 'rep_b'}}"]

    client.force_login(org.manager)
    upload(client, csv_file("name,owner\n丙有限公司,rep_b\n丁有限公司,rep2\n"))
    job = latest_job()
    assert error_texts(job) == [f"row 3, column owner: {OWNER_OUTSIDE_SCOPE % {'value': 'rep2'}}"]
    assert not Customer.objects.exists()


# --- Duplicates -------------------------------------------------------------------------------


@pytest.fixture
def existing(org):
    return make_customer(
        org.rep, name="杭州启明软件有限公司", credit_code=code(10), phone="0571-88886666"
    )


DUPLICATES_CSV = (
    "name,credit_code,phone,region\n"
    f"杭州启明软件股份有限公司,{code(10)},,杭州\n"  # 2: existing, by credit code and name
    "新公司有限公司,,(0571) 8888 6666,\n"  # 3: existing, by phone
    "另一家有限公司,,,上海\n"  # 4: new
    "另一家有限公司,,,北京\n"  # 5: same as row 4
)


def test_duplicates_are_flagged_against_the_database_and_the_file(org, client, existing):
    client.force_login(org.rep)
    upload(client, csv_file(DUPLICATES_CSV))
    job = latest_job()
    existing_ref = {"id": existing.pk, "name": existing.name}
    assert job.duplicate_count == 3
    assert job.duplicates == [
        {"row": 2, "on": ["credit_code", "name"], "existing": existing_ref},
        {"row": 3, "on": ["phone"], "existing": existing_ref},
        {"row": 5, "on": ["name"], "file_row": 4},
    ]
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token})).content
    page = page.decode()
    assert "Duplicates (3)" in page
    assert '<tr data-duplicate-row="2">' in page and "credit code, name" in page
    assert "row 4 of this file" in page


def test_skip_writes_only_the_new_rows(org, client, existing):
    client.force_login(org.rep)
    upload(client, csv_file(DUPLICATES_CSV))
    confirm(client, latest_job(), "skip")
    job = latest_job()
    assert job.result | {} == job.result and (job.result["created"], job.result["skipped"]) == (
        1,
        3,
    )
    assert sorted(Customer.objects.values_list("name", flat=True)) == [
        "另一家有限公司",
        "杭州启明软件有限公司",
    ]
    existing.refresh_from_db()
    assert existing.region == ""


def test_update_changes_the_existing_record_with_history(org, client, existing):
    client.force_login(org.manager)
    upload(client, csv_file(DUPLICATES_CSV))
    confirm(client, latest_job(), "update")

    job = latest_job()
    assert (job.result["created"], job.result["updated"], job.result["skipped"]) == (1, 1, 2)
    existing.refresh_from_db()
    assert (existing.region, existing.name) == ("杭州", "杭州启明软件股份有限公司")
    assert existing.owner == org.rep  # an update is no handover
    latest = existing.history.latest("history_id")
    assert (latest.history_type, latest.history_user, latest.region) == ("~", org.manager, "杭州")
    assert Customer.objects.count() == 2


def test_create_makes_new_records_except_for_a_taken_credit_code(org, client, existing):
    client.force_login(org.rep)
    upload(client, csv_file(DUPLICATES_CSV))
    confirm(client, latest_job(), "create")
    job = latest_job()
    assert (job.result["created"], job.result["skipped"]) == (3, 1)
    assert Customer.objects.filter(name="另一家有限公司").count() == 2
    assert Customer.objects.filter(credit_code=code(10)).count() == 1


def test_a_choice_per_duplicate_row_overrides_the_choice_for_all(org, client, existing):
    client.force_login(org.manager)
    upload(client, csv_file(DUPLICATES_CSV))
    job = latest_job()
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token})).content
    assert b'name="row_2" form="import-confirm-form"' in page

    # skip duplicates, except: update the existing record from row 2, and
    # create row 5 (the file's second 另一家有限公司); row 4 is not a duplicate
    # and a forged choice for it is ignored
    client.post(
        reverse("customers:import_confirm", kwargs={"token": job.token}),
        {"on_duplicate": "skip", "row_2": "update", "row_5": "create", "row_4": "skip"},
    )

    job = latest_job()
    assert job.row_choices == {"2": "update", "5": "create"}
    assert (job.result["created"], job.result["updated"], job.result["skipped"]) == (2, 1, 1)
    existing.refresh_from_db()
    assert existing.region == "杭州"  # row 2 updated it; row 3 (same phone) was skipped
    assert Customer.objects.filter(name="另一家有限公司").count() == 2
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token})).content
    assert b"Update the existing record" in page  # the choice is shown after the import


def test_a_duplicate_outside_the_scope_is_not_named_nor_updated(org, client):
    hidden = make_customer(org.rep2, name="广州秘密客户有限公司", region="广州")
    client.force_login(org.rep)
    upload(client, csv_file("name,region\n广州秘密客户有限公司,深圳\n"))
    job = latest_job()
    assert job.duplicates == [{"row": 2, "on": ["name"], "existing": {"hidden": True}}]
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token}))
    assert "广州秘密客户" not in page.content.decode().replace(job.file_name, "")

    confirm(client, job, "update")

    hidden.refresh_from_db()
    assert hidden.region == "广州"
    assert latest_job().result["skipped"] == 1


def test_duplicate_detection_queries_do_not_grow_with_rows(
    org, existing, django_assert_num_queries
):
    def check(rows: int) -> int:
        lines = "".join(f"公司{n}有限公司,,0571-8888{n:04d}\n" for n in range(rows))
        job = import_job_create(
            by=org.rep, kind="customers", upload=csv_file("name,credit_code,phone\n" + lines)
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            outcome, _table, _layout = run_pass(job, by=org.rep, write=False)
        assert outcome.total == rows
        return len(captured)

    check(1)  # the importer's data scope is looked up once and kept on the user
    assert check(5) == check(200)


# --- Contacts --------------------------------------------------------------------------------


def test_contacts_are_imported_onto_visible_customers(org, client):
    mine = make_customer(org.rep, name="杭州启明软件有限公司", credit_code=code(20))
    make_customer(org.rep2, name="广州秘密客户有限公司")
    make_contact(mine, name="张三", mobile="13800000001")
    client.force_login(org.rep)
    text = (
        "客户,姓名,职务,手机,生日,影响力,决策角色\n"
        f"{code(20)},李四,总经理,13900000002,1980-05-06,5,decider\n"
        "杭州启明软件股份有限公司,王五,采购,,1990/1/2,,Buyer\n"
        "杭州启明软件有限公司,张三,,+86 138 0000 0001,,,\n"
        "广州秘密客户有限公司,赵六,,,,,\n"
    )

    upload(client, csv_file(text), kind="contacts")

    job = latest_job()
    assert error_texts(job) == [
        f"row 5, column 客户: {UNKNOWN_CUSTOMER % {'value': '广州秘密客户有限公司'}}"
    ]
    upload(client, csv_file(text.rsplit("广州", 1)[0]), kind="contacts")
    job = latest_job()
    assert job.status == "checked"
    assert job.duplicates[0]["row"] == 4 and job.duplicates[0]["on"] == ["mobile", "name"]

    confirm(client, job, "update")

    job.refresh_from_db()
    assert (job.result["created"], job.result["updated"]) == (2, 1)
    lisi = Contact.objects.get(name="李四")
    assert (lisi.customer, lisi.owner, lisi.department, lisi.branch) == (
        mine,
        org.rep,
        org.team1,
        org.east,
    )
    assert (lisi.birthday.isoformat(), lisi.influence, lisi.decision_role) == (
        "1980-05-06",
        5,
        "decider",
    )
    assert lisi.normalized_mobile == "13900000002"
    assert lisi.history.get().history_user == org.rep
    assert Contact.objects.get(name="王五").decision_role == "buyer"
    assert not ContactJobChange.objects.exists()


def test_contact_errors_bad_date_and_ambiguous_customer(org, client):
    make_customer(org.rep, name="重名有限公司")
    make_customer(org.rep, name="重名股份有限公司")
    client.force_login(org.rep)
    upload(client, csv_file("customer,name,birthday\n重名有限公司,甲,1980-13-01\n"), "contacts")
    job = latest_job()
    assert error_texts(job) == [
        f"row 2, column birthday: {BAD_DATE % {'value': '1980-13-01'}}",
        f"row 2, column customer: {AMBIGUOUS_CUSTOMER % {'value': '重名有限公司'}}",
    ]
    only = make_customer(org.rep, name="唯一有限公司")
    upload(client, csv_file(f"customer,name,birthday\n{only.name},甲,1980-13-01\n"), "contacts")
    assert error_texts(latest_job()) == [
        f"row 2, column birthday: {BAD_DATE % {'value': '1980-13-01'}}"
    ]
    assert not Contact.objects.exists()


# --- Who may see and do what ----------------------------------------------------------------------


def test_another_user_gets_404_on_my_job(org, client):
    client.force_login(org.rep)
    upload(client, csv_file("name\n某某有限公司\n"))
    job = latest_job()

    client.force_login(org.rep_b)
    for name in ("import_job", "import_progress"):
        assert (
            client.get(reverse(f"customers:{name}", kwargs={"token": job.token})).status_code == 404
        )
    assert confirm(client, job).status_code == 404
    job.refresh_from_db()
    assert job.status == "checked"
    assert not Customer.objects.exists()
    unknown = reverse("customers:import_job", kwargs={"token": uuid.uuid4()})
    assert client.get(unknown).status_code == 404


def test_a_view_only_role_may_not_import(org, client):
    client.force_login(org.secretary)
    response = upload(client, csv_file("name\n某某有限公司\n"))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_upload_page_lists_my_imports_only(org, client):
    client.force_login(org.rep_b)
    upload(client, csv_file("name\n某某有限公司\n", name="rep_b_file.csv"))
    client.force_login(org.rep)
    page = client.get(reverse("customers:import")).content.decode()
    assert "rep_b_file.csv" not in page
    assert "Customer import template" in page


# --- Large files: Celery and progress -------------------------------------------------------------


def test_large_files_run_in_celery_after_commit_with_progress(
    org, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("customers.views_import.INLINE_MAX_BYTES", 0)
    # The task runs here, in this process, even where REDIS_URL points Celery
    # at a broker (CI): the worker's side is tested by tests/crm/test_celery_worker.py.
    from crm.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    client.force_login(org.rep)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(client, csv_file("name\n甲有限公司\n乙有限公司\n"))
    job = latest_job()
    progress_url = reverse("customers:import_progress", kwargs={"token": job.token})
    assert client.get(progress_url).json()["status"] == "checking"
    page = client.get(reverse("customers:import_job", kwargs={"token": job.token}))
    assert "crm/js/import_progress.js" in page.content.decode()
    assert len(callbacks) == 1

    callbacks[0]()  # the worker (eager here) checks the file
    assert client.get(progress_url).json() | {"result": None} == {
        "status": "checked",
        "status_label": "Checked",
        "processed": 0,
        "total": 2,
        "percent": 100,
        "finished": True,
        "result": None,
    }
    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    job.refresh_from_db()
    assert (job.status, job.processed, job.result["created"]) == ("done", 2, 2)
    assert client.get(progress_url).json()["percent"] == 100


def test_service_entry_point_reports_failures_on_the_job(org):
    job = import_job_create(
        by=org.rep, kind="customers", upload=csv_file("name,industry\n甲有限公司,nope\n")
    )
    import_job_check(job=job)
    assert job.status == "invalid"

    result = customer_import(job=job, by=org.rep, on_duplicate="skip")

    assert result.status == "failed"
    assert not Customer.objects.exists()


def test_updating_a_contacts_title_records_the_job_change(org, client):
    customer = make_customer(org.rep, name="杭州启明软件有限公司")
    contact = make_contact(customer, name="张三", title="经理", mobile="13800000001")
    client.force_login(org.rep)
    upload(client, csv_file("客户,姓名,职务\n杭州启明软件有限公司,张三,总监\n"), kind="contacts")

    confirm(client, latest_job(), "update")

    contact.refresh_from_db()
    change = ContactJobChange.objects.get(contact=contact)
    assert (contact.title, change.old_title, change.new_title, change.recorded_by) == (
        "总监",
        "经理",
        "总监",
        org.rep,
    )
    assert contact.history.latest("history_id").history_type == "~"


# --- Housekeeping ------------------------------------------------------------------------------


def test_old_upload_files_are_cleaned_up_and_a_stale_preview_asks_for_a_new_upload(org, client):
    from datetime import timedelta

    from django.utils import timezone

    from customers.imports import UPLOAD_EXPIRED, import_files_cleanup

    client.force_login(org.rep)
    upload(client, csv_file("name\n甲有限公司\n"))
    job = latest_job()
    assert job.status == "checked" and job.file
    path = job.file.path
    assert import_files_cleanup() == 0  # fresh uploads stay

    assert import_files_cleanup(now=timezone.now() + timedelta(days=8)) == 1
    job.refresh_from_db()
    assert not job.file
    import os

    assert not os.path.exists(path)
    confirm(client, job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert str(UPLOAD_EXPIRED) in str(job.errors)
    assert not Customer.objects.exists()

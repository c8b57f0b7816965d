"""KNW-4: attachments on any record -- the card, upload, download, archive,
text extraction and the one-box search, always within the record's scope."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from crm.attachments import services, sniff
from crm.attachments.models import Attachment
from crm.attachments.pdf import simple_pdf
from crm.attachments.views import frame_id
from crm.handover import handover_perform
from customers.services import customer_update
from tests.crm.attachment_scanners import EICAR, INFECTED
from tests.factories import make_contract, make_customer, make_opportunity

SEARCH = "/search/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files go to a temporary MEDIA_ROOT; extraction runs inline after commit."""
    from crm.celery import app

    settings.MEDIA_ROOT = tmp_path
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield tmp_path
    app.conf.task_always_eager = previous


@pytest.fixture
def customer(org):
    return make_customer(org.rep, name="上海华信精密机械有限公司")


def card_url(record) -> str:
    return f"/attachments/{record._meta.label_lower}/{record.pk}/"


def pdf_file(name="技术方案书.pdf", lines=("验收标准与售后服务", "Quotation 2026")):
    return SimpleUploadedFile(name, simple_pdf([list(lines)]), content_type="application/pdf")


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def upload(client, record, file, **headers):
    return client.post(card_url(record), {"file": file}, **headers)


def results(response) -> list[str]:
    return re.findall(
        r'data-testid="search-result"[^>]*>\s*(?:<a [^>]*>)?\s*'
        r'(?:<span class="crm-search__item-title">)?([^<]+)<',
        response.content.decode(),
    )


# --- Upload, card, download ------------------------------------------------------


def test_a_rep_attaches_a_pdf_and_its_text_is_read(
    org, client, customer, media, django_capture_on_commit_callbacks
):
    client.force_login(org.rep)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, customer, pdf_file())

    assert response.status_code == 303
    assert response["Location"] == card_url(customer)
    attachment = Attachment.objects.get()
    assert attachment.name == "技术方案书.pdf"
    assert attachment.kind == "pdf" and attachment.mime_type == "application/pdf"
    assert attachment.uploaded_by == org.rep
    assert (attachment.owner, attachment.department, attachment.branch) == (
        org.rep,
        org.team1,
        org.east,
    )
    attachment.refresh_from_db()
    assert attachment.extraction == Attachment.Extraction.DONE
    assert "验收标准与售后服务" in attachment.text and "Quotation 2026" in attachment.text
    assert attachment.history.count() == 1
    [path] = stored_files(media)
    assert path.suffix == ".pdf" and "技术" not in path.name  # the name says nothing
    assert "attachments" in path.parts

    card = client.get(card_url(customer), headers={"Turbo-Frame": frame_id(customer)})
    html = card.content.decode()
    assert card.status_code == 200
    assert f'<turbo-frame id="{frame_id(customer)}"' in html and "<html" not in html
    assert "技术方案书.pdf" in html and "Text indexed" in html
    assert f'href="/attachments/file/{attachment.pk}/"' in html


def test_the_download_is_an_attachment_never_rendered(org, client, customer):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    attachment = Attachment.objects.get()

    response = client.get(f"/attachments/file/{attachment.pk}/")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''%E6%8A%80%E6%9C%AF%E6%96%B9%E6%A1%88%E4%B9%A6.pdf" in (
        response["Content-Disposition"]
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_the_media_url_does_not_serve_attachments(org, client, customer, settings):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    name = Attachment.objects.get().file.name

    assert client.get(f"/media/attachments/{name}").status_code == 404
    with pytest.raises(ValueError):
        Attachment.objects.get().file.url  # noqa: B018 - no public URL at all


def test_a_user_outside_the_scope_gets_404_everywhere_and_nothing_changes(
    org, client, customer, media
):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    attachment = Attachment.objects.get()
    client.force_login(org.rep2)  # another branch

    assert client.get(card_url(customer)).status_code == 404
    assert upload(client, customer, pdf_file("other.pdf")).status_code == 404
    assert client.get(f"/attachments/file/{attachment.pk}/").status_code == 404
    assert client.post(f"/attachments/file/{attachment.pk}/archive/").status_code == 404
    assert client.get(f"/attachments/file/{attachment.pk}/record/").status_code == 404
    assert Attachment.objects.count() == 1 and len(stored_files(media)) == 1
    attachment.refresh_from_db()
    assert not attachment.is_archived


def test_a_colleague_in_the_same_team_with_own_scope_gets_404(org, client, customer):
    client.force_login(org.rep_b)

    assert client.get(card_url(customer)).status_code == 404


def test_the_card_opens_for_a_manager_in_scope(org, client, customer):
    client.force_login(org.manager)

    response = client.get(card_url(customer))

    assert response.status_code == 200
    assert "No attachments yet." in response.content.decode()


def test_uploading_needs_the_change_permission(org, client, customer, media):
    client.force_login(org.secretary)  # branch scope, customers: view only

    card = client.get(card_url(customer)).content.decode()
    response = upload(client, customer, pdf_file())

    assert 'data-testid="attachment-upload"' not in card
    assert response.status_code == 403
    assert Attachment.objects.count() == 0 and stored_files(media) == []


@pytest.mark.parametrize(
    "label", ["crm.branch", "crm.employee", "auth.user", "nosuch.model", "crm", "crm.attachment"]
)
def test_records_of_models_that_take_no_attachments_are_404(org, client, label):
    client.force_login(org.executive)

    assert client.get(f"/attachments/{label}/1/").status_code == 404


def test_a_record_that_does_not_exist_is_404(org, client):
    client.force_login(org.executive)

    assert client.get("/attachments/customers.customer/999999/").status_code == 404


# --- Refusals: nothing stored ------------------------------------------------------


def _refused(client, customer, media, file, message: str) -> None:
    response = upload(client, customer, file)
    assert response.status_code == 422
    assert escape(message) in response.content.decode()
    assert Attachment.objects.count() == 0
    assert stored_files(media) == []


def test_a_pdf_that_is_not_a_pdf_is_refused(org, client, customer, media):
    client.force_login(org.rep)
    fake = SimpleUploadedFile("合同.pdf", b"just some text", content_type="application/pdf")

    _refused(
        client,
        customer,
        media,
        fake,
        str(sniff.TYPE_MISMATCH % {"extension": ".pdf"}),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00"),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("notes.txt", b"<script>alert(1)</script>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        ("notes.txt", b"\x00\x01\x02binary"),
    ],
)
def test_disallowed_types_are_refused(org, client, customer, media, name, content):
    client.force_login(org.rep)

    _refused(
        client, customer, media, SimpleUploadedFile(name, content), "cannot be attached"
    )


def test_a_png_named_jpg_is_refused(org, client, customer, media):
    client.force_login(org.rep)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    _refused(client, customer, media, SimpleUploadedFile("photo.jpg", png), "(.jpg)")


def test_an_oversized_file_is_refused(org, client, customer, media, settings):
    settings.CRM_ATTACHMENT_MAX_MB = 1
    client.force_login(org.rep)
    big = SimpleUploadedFile("big.txt", b"a" * (1024 * 1024 + 1))

    _refused(client, customer, media, big, "larger than the allowed 1 MB")


def test_the_virus_scan_hook_refuses(org, client, customer, media, settings):
    settings.CRM_ATTACHMENT_SCANNER = "tests.crm.attachment_scanners.refuse_eicar"
    client.force_login(org.rep)

    _refused(client, customer, media, SimpleUploadedFile("eicar.txt", EICAR), INFECTED)
    # A clean file passes the same scanner.
    assert upload(client, customer, pdf_file()).status_code == 303


def test_an_encrypted_pdf_is_refused(org, client, customer, media):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(simple_pdf([["机密"]]))))
    writer.encrypt("secret")
    buffer = io.BytesIO()
    writer.write(buffer)
    client.force_login(org.rep)

    _refused(
        client,
        customer,
        media,
        SimpleUploadedFile("机密.pdf", buffer.getvalue()),
        "password-protected",
    )


def test_a_zip_bomb_named_docx_is_refused(org, client, customer, media):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", sniff._WORD_MAIN.decode())
        archive.writestr("word/document.xml", b"\x00" * (20 * 1024 * 1024))
    client.force_login(org.rep)

    _refused(
        client,
        customer,
        media,
        SimpleUploadedFile("bomb.docx", buffer.getvalue()),
        "unpacks to far more data",
    )


# --- Extraction -------------------------------------------------------------------


def _extract(record, by, file, capture) -> Attachment:
    with capture(execute=True):
        attachment = services.attachment_upload(record=record, file=file, by=by)
    attachment.refresh_from_db()
    return attachment


def test_text_is_read_from_word(org, customer, django_capture_on_commit_callbacks):
    import docx

    document = docx.Document()
    document.add_paragraph("项目建议书：数控机床改造")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "交付周期"
    table.cell(0, 1).text = "九十天"
    buffer = io.BytesIO()
    document.save(buffer)

    attachment = _extract(
        customer,
        org.rep,
        SimpleUploadedFile("建议书.docx", buffer.getvalue()),
        django_capture_on_commit_callbacks,
    )

    assert attachment.kind == "docx"
    assert attachment.extraction == Attachment.Extraction.DONE
    assert "数控机床改造" in attachment.text and "九十天" in attachment.text


def test_text_is_read_from_excel(org, customer, django_capture_on_commit_callbacks):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "报价明细"
    sheet.append(["产品", "数量", "单价"])
    sheet.append(["伺服电机", 12, 3500.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    attachment = _extract(
        customer,
        org.rep,
        SimpleUploadedFile("报价.xlsx", buffer.getvalue()),
        django_capture_on_commit_callbacks,
    )

    assert attachment.kind == "xlsx"
    assert "报价明细" in attachment.text
    assert "伺服电机 12 3500.5" in attachment.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_text_is_read_from_plain_text_in_utf8_and_gbk(
    org, customer, django_capture_on_commit_callbacks, encoding
):
    attachment = _extract(
        customer,
        org.rep,
        SimpleUploadedFile("纪要.csv", "客户,需求\n华信,培训安排\n".encode(encoding)),
        django_capture_on_commit_callbacks,
    )

    assert attachment.kind == "csv" and attachment.mime_type == "text/csv"
    assert "培训安排" in attachment.text


def test_extraction_is_bounded(org, customer, django_capture_on_commit_callbacks, monkeypatch):
    from crm.attachments import extract

    monkeypatch.setattr(extract, "MAX_PAGES", 2)
    pages = [[f"第{n}页 内容"] for n in range(1, 6)]

    attachment = _extract(
        customer,
        org.rep,
        SimpleUploadedFile("长文.pdf", simple_pdf(pages)),
        django_capture_on_commit_callbacks,
    )

    assert "第2页" in attachment.text and "第3页" not in attachment.text


def test_an_image_has_no_text_and_no_task(org, customer, django_capture_on_commit_callbacks):
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"

    with django_capture_on_commit_callbacks() as callbacks:
        attachment = services.attachment_upload(
            record=customer, file=SimpleUploadedFile("logo.gif", gif), by=org.rep
        )

    assert callbacks == []
    assert attachment.extraction == Attachment.Extraction.NO_TEXT


def test_a_damaged_file_is_marked_failed_with_its_name_still_found(
    org, client, customer, django_capture_on_commit_callbacks
):
    broken = b"%PDF-1.4\n" + b"garbage" * 50

    attachment = _extract(
        customer,
        org.rep,
        SimpleUploadedFile("损坏的合同.pdf", broken),
        django_capture_on_commit_callbacks,
    )

    assert attachment.extraction == Attachment.Extraction.FAILED
    assert attachment.extraction_error
    client.force_login(org.rep)
    assert "损坏的合同.pdf" in results(client.get(SEARCH, {"q": "损坏"}))


# --- Archive -------------------------------------------------------------------------


def test_the_uploader_archives_and_restores_with_history(org, client, customer):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    attachment = Attachment.objects.get()

    response = client.post(f"/attachments/file/{attachment.pk}/archive/")

    assert response.status_code == 303
    attachment.refresh_from_db()
    assert attachment.is_archived and attachment.archived_by == org.rep
    card = client.get(card_url(customer)).content.decode()
    assert "1 archived attachment" in card and "No attachments yet." in card
    assert results(client.get(SEARCH, {"q": "验收"})) == []

    client.post(f"/attachments/file/{attachment.pk}/restore/")
    attachment.refresh_from_db()
    assert not attachment.is_archived
    assert [h.is_archived for h in attachment.history.order_by("history_id")] == [
        False,
        True,
        False,
    ]
    assert attachment.history.order_by("history_id")[1].history_user == org.rep


def test_a_manager_in_scope_archives_a_reps_attachment(org, client, customer):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    attachment = Attachment.objects.get()
    client.force_login(org.manager)

    assert client.post(f"/attachments/file/{attachment.pk}/archive/").status_code == 303
    attachment.refresh_from_db()
    assert attachment.is_archived and attachment.archived_by == org.manager


def test_a_colleague_who_sees_the_record_but_did_not_upload_may_not_archive(
    org, client, customer
):
    client.force_login(org.rep)
    upload(client, customer, pdf_file())
    attachment = Attachment.objects.get()
    client.force_login(org.secretary)  # sees the branch, neither uploader nor manager

    card = client.get(card_url(customer)).content.decode()
    response = client.post(f"/attachments/file/{attachment.pk}/archive/")

    assert 'data-testid="archive-attachment"' not in card
    assert response.status_code == 403
    attachment.refresh_from_db()
    assert not attachment.is_archived
    # ... but downloads it: they see the record.
    assert client.get(f"/attachments/file/{attachment.pk}/").status_code == 200


# --- Query count --------------------------------------------------------------------


def test_the_card_query_count_is_pinned(
    org, client, customer, django_assert_num_queries
):
    client.force_login(org.rep)
    ContentType.objects.get_for_model(customer)  # the content type cache is per process
    upload(client, customer, pdf_file())
    headers = {"Turbo-Frame": frame_id(customer)}
    client.get(card_url(customer), headers=headers)  # warm the session

    # session, user, scope, record, attachments, archived, user and group permissions
    with django_assert_num_queries(8):
        client.get(card_url(customer), headers=headers)
    for n in range(4):
        upload(client, customer, pdf_file(f"附件{n}.pdf"))
    client.post(f"/attachments/file/{Attachment.objects.last().pk}/archive/")
    with django_assert_num_queries(8):
        response = client.get(card_url(customer), headers=headers)
    assert response.content.decode().count("data-attachment=") == 5


# --- Pages that include the card ---------------------------------------------------------


def test_the_customer_contact_deal_and_contract_pages_include_the_card(org, client):
    from tests.factories import make_contact

    deal = make_opportunity(org.rep)
    contract = make_contract(org.rep)
    contact = make_contact(deal.customer)
    client.force_login(org.rep)

    for record in (deal.customer, contact, deal, contract):
        page = client.get(record.get_absolute_url()).content.decode()
        assert f'<turbo-frame id="{frame_id(record)}" src="{card_url(record)}"' in page, record
        assert 'id="attachments"' in page and 'data-panel="attachments"' in page
    assert "not available yet" not in client.get(contract.get_absolute_url()).content.decode()


def test_a_deal_team_member_sees_the_deals_attachments(
    org, client, django_capture_on_commit_callbacks
):
    from projects.deals.services import member_add

    deal = make_opportunity(org.rep)
    member_add(opportunity=deal, user=org.rep2, role="presales", by=org.rep)
    client.force_login(org.rep)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, deal, pdf_file("招标文件.pdf", ["招标文件 技术规格书"]))
    attachment = Attachment.objects.get()
    client.force_login(org.rep2)  # another branch, but on the team

    assert client.get(card_url(deal)).status_code == 200
    assert client.get(f"/attachments/file/{attachment.pk}/").status_code == 200
    assert results(client.get(SEARCH, {"q": "规格书"})) == ["招标文件.pdf"]


# --- Search ---------------------------------------------------------------------------


@pytest.fixture
def indexed(org, customer, django_capture_on_commit_callbacks):
    """A PDF on rep's customer and a text file on rep2's (another branch)."""
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_upload(
            record=customer, file=pdf_file("方案.pdf", ["设备验收标准", "培训计划"]), by=org.rep
        )
        other = make_customer(org.rep2, name="广州某某贸易有限公司")
        services.attachment_upload(
            record=other,
            file=SimpleUploadedFile("南方.txt", "设备验收清单".encode("gbk")),
            by=org.rep2,
        )
    return customer


@pytest.mark.parametrize("query", ["验收", "验收标准", "yanshou", "ys", "方案"])
def test_search_finds_an_attachment_by_a_word_inside_or_its_pinyin_within_scope(
    org, client, indexed, query
):
    client.force_login(org.rep)

    found = results(client.get(SEARCH, {"q": query}))

    assert found == ["方案.pdf"]


def test_search_within_scope_for_each_user(org, client, indexed):
    def found(user):
        client.force_login(user)
        return sorted(results(client.get(SEARCH, {"q": "验收"})))

    assert found(org.rep) == ["方案.pdf"]
    assert found(org.rep2) == ["南方.txt"]
    assert found(org.rep_b) == []
    assert found(org.manager) == ["方案.pdf"]
    assert found(org.branch_mgr) == ["方案.pdf"]
    assert found(org.executive) == ["南方.txt", "方案.pdf"]


def test_a_hit_leads_to_the_record_page(org, client, indexed):
    client.force_login(org.rep)
    attachment = Attachment.objects.get(name="方案.pdf")

    response = client.get(f"/attachments/file/{attachment.pk}/record/")

    assert response.status_code == 302
    assert response["Location"] == f"{indexed.get_absolute_url()}#attachments"


def test_a_stale_scope_copy_never_shows_a_hit_to_someone_who_lost_the_record(
    org, client, indexed
):
    # The customer goes to rep_b outside a handover: the attachment's copy of
    # the scope is stale until the repair task runs ...
    customer_update(customer=indexed, by=org.manager, owner=org.rep_b)
    client.force_login(org.rep)
    assert results(client.get(SEARCH, {"q": "验收"})) == []  # checked against visible_to

    # ... which then lets the new owner find it.
    from crm.attachments.tasks import attachments_sync_scope_all

    assert attachments_sync_scope_all() == 1
    client.force_login(org.rep_b)
    assert results(client.get(SEARCH, {"q": "验收"})) == ["方案.pdf"]


def test_the_handover_moves_the_scope_of_the_attachments(org, client, indexed):
    handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.manager)

    attachment = Attachment.objects.get(name="方案.pdf")
    assert attachment.owner == org.rep_b
    client.force_login(org.rep_b)
    assert results(client.get(SEARCH, {"q": "yanshou"})) == ["方案.pdf"]


def test_the_search_uses_the_scoped_gin_index(org, indexed):
    from django.db import connection

    from crm.attachments.search import search_attachments

    queryset = search_attachments(org.rep, "验收")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "attachment_scoped_search" in plan


# --- Demo data ------------------------------------------------------------------------


def test_the_demo_seeder_attaches_files_once(org, customers, django_capture_on_commit_callbacks):
    from crm.attachments import demo

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed(options={}, stdout=out)
    count = Attachment.objects.count()
    demo.seed(options={}, stdout=out)

    assert count > 0 and Attachment.objects.count() == count
    assert set(Attachment.objects.values_list("owner__username", flat=True)) <= {"rep", "manager"}
    assert Attachment.objects.filter(kind="pdf", text__contains="验收标准").exists()
    assert Attachment.objects.filter(kind="text", text__contains="培训安排").exists()


def test_the_search_query_count_does_not_grow_with_attachments(
    org, client, indexed, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from crm.search import search_providers

    providers = search_providers.for_user(org.rep)
    # session, user, permissions (2), scopes (1 + 1 of the attachments'
    # provider), savepoint, release, work_mem, one per provider
    # (the knowledge providers, articles and posts, read no data scope)
    scope_free = {"articles", "posts"}
    without_model = sum(1 for p in providers if p.model is None and p.key not in scope_free)
    queries = 4 + 1 + without_model + 3 + len(providers)
    client.force_login(org.rep)
    client.get(SEARCH, {"q": "warm up", "partial": "1"})
    with django_assert_num_queries(queries):
        few = client.get(SEARCH, {"q": "验收", "partial": "1"})
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(5):
            services.attachment_upload(
                record=indexed, file=pdf_file(f"验收{n}.pdf", ["验收"]), by=org.rep
            )
    with django_assert_num_queries(queries):
        many = client.get(SEARCH, {"q": "验收", "partial": "1"})

    assert results(few) == ["方案.pdf"]
    assert len(results(many)) == 6
    assert results(many)[0].startswith("验收")  # a match in the name ranks first


def test_admin_lists_attachments_read_only(admin_client, org, customer):
    services.attachment_upload(record=customer, file=pdf_file(), by=org.rep)
    attachment = Attachment.objects.get()

    listing = admin_client.get("/admin/crm/attachment/")
    detail = admin_client.get(f"/admin/crm/attachment/{attachment.pk}/change/")

    assert listing.status_code == 200 and "技术方案书.pdf" in listing.content.decode()
    assert detail.status_code == 200
    assert f"/attachments/file/{attachment.pk}/" in detail.content.decode()


def test_a_merge_moves_the_attachments_to_the_target(org, customer):
    from customers.merge import customer_merge

    target = make_customer(org.rep, name="上海华信精密机械股份有限公司")
    services.attachment_upload(record=customer, file=pdf_file(), by=org.rep)

    customer_merge(source=customer, target=target, by=org.rep)

    attachment = Attachment.objects.get()
    assert attachment.record == target
    assert attachment.history.latest().history_user == org.rep


def test_an_archived_record_takes_no_new_attachments(org, client, customer, media):
    from customers.services import customer_archive

    customer_archive(customer=customer, by=org.rep)
    client.force_login(org.rep)

    card = client.get(card_url(customer)).content.decode()
    response = upload(client, customer, pdf_file())

    assert 'data-testid="attachment-upload"' not in card
    assert response.status_code == 403
    assert Attachment.objects.count() == 0 and stored_files(media) == []

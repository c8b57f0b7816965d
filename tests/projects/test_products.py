"""The product catalogue (QUO-1) in the app: list, page with history,
create / edit / archive for those who keep the catalogue, and the import from
xlsx or CSV (check → confirm, all or nothing, errors by row and column) with
the export that reads back."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from projects.catalogue import services as products
from projects.models import Product
from projects.quotes.forms import QuoteLineForm
from tests.factories import make_employee

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def keeper(org):
    """Someone who keeps the catalogue (the admin role)."""
    return make_employee(org.office, "admin", username="catalogue").user


@pytest.fixture
def catalogue(db):
    return {
        p.code: p
        for p in [
            Product.objects.create(
                code="A-100", name="网关", category="硬件", list_price=D("1000")
            ),
            Product.objects.create(
                code="A-200", name="交换机", category="硬件", list_price=D("500")
            ),
            Product.objects.create(
                code="S-100", name="实施服务", category="服务", list_price=D("800"), is_active=False
            ),
        ]
    }


def xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("catalogue.xlsx", buffer.getvalue())


def check_file(client, upload):
    return client.post(reverse("quotes:product:import"), {"file": upload})


# --- List and page ------------------------------------------------------------------------


def test_everyone_who_quotes_sees_the_catalogue_but_only_keepers_change_it(
    client, org, catalogue, django_assert_max_num_queries
):
    client.force_login(org.rep)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("quotes:product:index"))
    assert response.status_code == 200
    codes = [p.code for p in response.context["products"]]
    assert codes == ["A-100", "A-200"]  # archived products only on request
    assert not response.context["can_add"]
    page = client.get(catalogue["A-100"].get_absolute_url())
    assert page.status_code == 200
    assert b"1000" in page.content
    assert "quote_lines" not in page.context  # usage and cost are for the keepers
    for url in (
        reverse("quotes:product:add"),
        reverse("quotes:product:import"),
        reverse("quotes:product:change", args=[catalogue["A-100"].pk]),
    ):
        assert client.get(url).status_code == 403
    response = client.post(
        reverse("quotes:product:archive", args=[catalogue["A-100"].pk]), {"active": "0"}
    )
    assert response.status_code == 403
    assert Product.objects.get(code="A-100").is_active


def test_list_filters_and_its_query_count_does_not_grow(
    client, keeper, catalogue, django_assert_num_queries
):
    client.force_login(keeper)
    url = reverse("quotes:product:index")
    rows = lambda **query: [p.code for p in client.get(url, query).context["products"]]  # noqa: E731
    assert rows(status="all") == ["A-100", "A-200", "S-100"]
    assert rows(status="archived") == ["S-100"]
    assert rows(q="a-1") == ["A-100"]
    assert rows(q="交换") == ["A-200"]
    assert rows(category="服务", status="all") == ["S-100"]
    client.get(url)  # the session and permissions warm up
    with django_assert_num_queries(6) as few:
        client.get(url, {"status": "all"})
    Product.objects.bulk_create(
        Product(code=f"B-{n:03}", name=f"配件{n}", list_price=D("10")) for n in range(60)
    )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url, {"status": "all"})
    assert len(response.context["products"]) == 50 and response.context["has_next"]
    assert client.get(url, {"page": "x"}).status_code == 200


def test_a_keeper_creates_and_edits_a_product_and_the_history_keeps_the_old_price(
    client, keeper, catalogue
):
    client.force_login(keeper)
    data = {
        "code": "C-1",
        "name": "传感器",
        "category": "硬件",
        "unit": "个",
        "list_price": "99.50",
        "cost": "40",
        "tax_rate": "13",
    }
    response = client.post(reverse("quotes:product:add"), data)
    product = Product.objects.get(code="C-1")
    assert response.status_code == 302 and response.url == product.get_absolute_url()
    response = client.post(
        reverse("quotes:product:change", args=[product.pk]), {**data, "list_price": "120"}
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.list_price == D("120.00")
    assert [h.list_price for h in product.history.order_by("history_id")] == [
        D("99.50"),
        D("120.00"),
    ]
    page = client.get(product.get_absolute_url())
    changes = [c for row in page.context["history"] for c in row.changes]
    assert any(c.old == "99.50" and c.new == "120.00" for c in changes)
    assert page.context["quote_lines"] == 0


@pytest.mark.parametrize(
    "field, value",
    [("list_price", "-1"), ("tax_rate", "120"), ("cost", "-0.01"), ("code", "A-100")],
)
def test_bad_product_input_is_refused_and_nothing_changes(client, keeper, catalogue, field, value):
    client.force_login(keeper)
    data = {"code": "C-2", "name": "新品", "list_price": "10", "cost": "0", "tax_rate": "13"}
    response = client.post(reverse("quotes:product:add"), {**data, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert Product.objects.count() == 3


def test_an_archived_product_is_offered_nowhere_and_can_come_back(client, keeper, catalogue):
    client.force_login(keeper)
    product = catalogue["A-200"]
    client.post(reverse("quotes:product:archive", args=[product.pk]), {"active": "0"})
    product.refresh_from_db()
    assert not product.is_active
    assert product not in QuoteLineForm().fields["product"].queryset
    assert product.history.latest().history_change_reason == "Archived"
    client.post(reverse("quotes:product:archive", args=[product.pk]), {"active": "1"})
    product.refresh_from_db()
    assert product.is_active and product in QuoteLineForm().fields["product"].queryset


# --- Import -------------------------------------------------------------------------------


def test_import_checks_then_writes_new_changed_and_leaves_unchanged_rows(client, keeper, catalogue):
    client.force_login(keeper)
    upload = xlsx(
        [
            ["产品编码", "产品名称", "类别", "单位", "目录价", "成本", "税率（%）", "在售", "备注"],
            ["A-100", "网关", "硬件", "", 1000, None, None, "是", "unchanged"],
            ["A-200", "", "", "", "¥1,250.5", "", "6%", "", "price update"],
            ["N-1", "新网关", "硬件", "台", 300, 120, 13, "否", "new, archived"],
        ]
    )
    response = check_file(client, upload)
    assert response.status_code == 200
    check = response.context["check"]
    assert (check.created, check.updated, check.unchanged) == (1, 1, 1)
    assert check.ignored_columns == ["备注"]
    assert Product.objects.count() == 3  # the check writes nothing
    payload = response.context["payload"]
    response = client.post(
        reverse("quotes:product:import_confirm"),
        {"payload": payload, "file_name": "catalogue.xlsx"},
    )
    assert response.status_code == 302
    changed = Product.objects.get(code="A-200")
    assert (changed.name, changed.list_price, changed.tax_rate) == ("交换机", D("1250.50"), D("6"))
    new = Product.objects.get(code="N-1")
    assert (new.unit, new.cost, new.is_active) == ("台", D("120.00"), False)
    assert new.history.get().history_change_reason == "Imported from catalogue.xlsx"
    assert changed.history.latest().history_user == keeper
    assert Product.objects.get(code="A-100").history.count() == 1  # its creation only


def _errors(response) -> list[tuple[int, str]]:
    return [(error["row"], error["column"]) for error in response.context["check"].errors]


def test_a_file_with_errors_names_each_row_and_column_and_cannot_be_confirmed(
    client, keeper, catalogue
):
    client.force_login(keeper)
    upload = xlsx(
        [
            ["code", "name", "list price", "cost", "tax rate (%)", "on sale"],
            ["N-1", "ok", 10, 1, 13, "yes"],
            ["N-2", "", 10, None, None, None],  # new without a name
            ["N-3", "neg", -5, None, None, None],
            ["N-4", "rate", 10, None, 150, None],
            ["N-1", "again", 10, None, None, None],
            ["N-5", "bool", 10, None, None, "maybe"],
            ["", "no code", 10, None, None, None],
            ["N-6", "price", "ten", None, None, None],
            ["N-7", None, 10, None, 200, None],  # two faults in one row: both named
        ]
    )
    response = check_file(client, upload)
    assert response.status_code == 200  # the check worked; the file has errors
    assert _errors(response) == [
        (3, "name"),
        (4, "list price"),
        (5, "tax rate (%)"),
        (6, "code"),
        (7, "on sale"),
        (8, "code"),
        (9, "list price"),
        (10, "tax rate (%)"),
        (10, "name"),
    ]
    texts = [error["text"] for error in response.context["check"].errors]
    assert "row 6, column code: the code N-1 is also in row 2." in texts
    assert response.context["payload"] == ""
    assert b"confirm-import" not in response.content
    assert Product.objects.count() == 3


def test_missing_columns_and_unreadable_files_are_refused_with_a_message(client, keeper):
    client.force_login(keeper)
    response = check_file(client, xlsx([["name", "list price"], ["x", 1]]))
    assert _errors(response) == [(1, "code")]
    response = check_file(client, xlsx([["code", "list price"], ["NEW", 1]]))
    assert _errors(response) == [(2, "name")]  # a new product needs its name column
    for upload, message in [
        (SimpleUploadedFile("a.xlsx", b"PK\x03\x04broken"), "not a valid Excel workbook"),
        (SimpleUploadedFile("a.pdf", b"%PDF-1.4"), "Upload an .xlsx or .csv file."),
        (SimpleUploadedFile("a.xls", b"\xd0\xcf\x11\xe0rest"), "Old .xls workbooks"),
        (SimpleUploadedFile("a.csv", b"code,name\n"), "header row but no data rows"),
        (SimpleUploadedFile("a.csv", b"\xff\xfe\x00\x00"), "neither UTF-8 nor GBK"),
    ]:
        response = check_file(client, upload)
        assert response.status_code == 400
        assert message in response.context["error"]
    assert Product.objects.count() == 0


def test_a_gbk_csv_is_read(client, keeper):
    client.force_login(keeper)
    text = "产品编码,产品名称,目录价\nG-1,国产网关,88\n"
    response = check_file(client, SimpleUploadedFile("gbk.csv", text.encode("gbk")))
    assert response.status_code == 200
    assert response.context["check"].encoding == "GB18030 (GBK)"
    client.post(reverse("quotes:product:import_confirm"), {"payload": response.context["payload"]})
    assert Product.objects.get(code="G-1").name == "国产网关"


def test_a_tampered_or_foreign_check_writes_nothing(client, keeper, org, catalogue):
    client.force_login(keeper)
    response = check_file(client, xlsx([["code", "name", "list price"], ["N-9", "x", 1]]))
    payload = response.context["payload"]
    confirm = reverse("quotes:product:import_confirm")
    response = client.post(confirm, {"payload": payload[:-2] + "xx"}, follow=True)
    assert "expired or was not yours" in response.content.decode()
    other = make_employee(org.office, "admin", username="other_keeper").user
    client.force_login(other)
    client.post(confirm, {"payload": payload})
    assert not Product.objects.filter(code="N-9").exists()
    client.force_login(org.rep)
    assert client.post(confirm, {"payload": payload}).status_code == 403


def test_the_confirmation_is_all_or_nothing(keeper, catalogue):
    """A row that fails while writing (here a negative price the check would
    have refused) rolls back the rows written before it."""
    check = products.ImportCheck(
        rows=[
            products.CheckedRow(
                2, "N-1", {"code": "N-1", "name": "ok", "list_price": "1"}, "create"
            ),
            products.CheckedRow(3, "A-100", {"code": "A-100", "list_price": "-1"}, "update"),
        ]
    )
    with pytest.raises(products.ValidationError):
        products.import_confirm(payload=check.payload(user=keeper), by=keeper)
    assert not Product.objects.filter(code="N-1").exists()
    assert Product.objects.get(code="A-100").list_price == D("1000")


def test_the_export_reads_back_unchanged_and_neutralises_formulas(client, keeper, catalogue):
    Product.objects.filter(code="A-200").update(name="=HYPERLINK(1)")
    client.force_login(keeper)
    response = client.get(reverse("quotes:product:export"), {"status": "all"})
    assert response["Content-Disposition"].startswith('attachment; filename="products-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("code", "name")
    assert [row[0] for row in rows[1:]] == ["A-100", "A-200", "S-100"]
    assert rows[2][1] == "'=HYPERLINK(1)"
    Product.objects.filter(code="A-200").update(name="'=HYPERLINK(1)")
    upload = SimpleUploadedFile("back.xlsx", response.content)
    check = check_file(client, upload).context["check"]
    assert (check.created, check.updated, check.unchanged, check.errors) == (0, 0, 3, [])
    template = client.get(reverse("quotes:product:export"), {"template": "1"})
    assert len(list(load_workbook(io.BytesIO(template.content)).active.iter_rows())) == 1


def test_the_product_page_does_not_grow_with_its_history(
    client, keeper, catalogue, django_assert_num_queries
):
    product = catalogue["A-100"]
    client.force_login(keeper)
    client.get(product.get_absolute_url())
    with django_assert_num_queries(8) as pinned:
        client.get(product.get_absolute_url())
    for price in range(5):
        products.product_update(product=product, by=keeper, list_price=D(1001 + price))
    with django_assert_num_queries(len(pinned.captured_queries)):
        page = client.get(product.get_absolute_url())
    assert len(page.context["history"]) == 6


def test_the_export_keeps_prices_as_numbers_with_a_currency_format(client, keeper, catalogue):
    client.force_login(keeper)
    response = client.get(reverse("quotes:product:export"), {"status": "all"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    price, tax_rate = sheet.cell(row=2, column=5), sheet.cell(row=2, column=7)
    assert sheet.cell(row=1, column=5).value == "list price"
    assert price.value == 1000 and price.number_format == '"CNY "#,##0.00;-"CNY "#,##0.00'
    assert tax_rate.number_format == "General"  # a rate is no amount

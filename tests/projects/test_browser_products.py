"""The product catalogue in a real browser (QUO-1), in Chinese: the keeper of
the catalogue uploads a file with a bad row and reads what is wrong, uploads
it corrected, confirms, and finds the new product and the changed price with
its history; a rep sees the catalogue but no way to change it.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails.
"""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook

from projects.models import Product
from tests.conftest import ARTIFACTS
from tests.factories import make_employee
from tests.test_browser_projects import login, watch_console

pytestmark = pytest.mark.browser


def workbook(path, rows) -> str:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_keeper_imports_the_catalogue_and_a_rep_only_reads_it(
    browser, live_server, org, tmp_path
):
    from playwright.sync_api import expect

    make_employee(org.office, "admin", username="catalogue")
    Product.objects.create(code="P-1", name="网关", category="硬件", list_price=Decimal("100"))
    header = ["产品编码", "产品名称", "目录价", "税率（%）"]
    bad = workbook(tmp_path / "bad.xlsx", [header, ["P-1", "", 120, None], ["N-1", "", -5, 13]])
    good = workbook(
        tmp_path / "good.xlsx", [header, ["P-1", "", 120, None], ["N-1", "传感器", 5, 6]]
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_context(locale="zh-CN").new_page()
    problems = watch_console(page)
    login(page, live_server, "catalogue", next_path=reverse("quotes:product:index"))
    page.get_by_role("link", name="导入").click()

    # a bad file: each fault named by row and column, nothing to confirm
    page.set_input_files("input[name=file]", bad)
    page.get_by_role("button", name="检查文件").click()
    errors = page.locator('[data-testid="import-errors"] li')
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_have_text("第 3 行，“目录价”列：不能为负数。")
    expect(errors.nth(1)).to_contain_text("第 3 行，“产品名称”列")
    expect(page.locator('[data-testid="confirm-import"]')).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "product-import-errors.png"), full_page=True)

    # the corrected file: what it would do, then the import
    page.set_input_files("input[name=file]", good)
    page.get_by_role("button", name="检查文件").click()
    expect(page.locator('[data-testid="import-check"]')).to_contain_text(
        "新增 1 个产品，修改 1 个，未变 0 个。"
    )
    expect(page.locator('[data-row="2"]')).to_contain_text("100.00 → 120.00")
    page.locator('[data-testid="confirm-import"]').click()
    page.wait_for_url(f"{live_server.url}{reverse('quotes:product:index')}")
    expect(page.locator('[data-product="N-1"]')).to_contain_text("传感器")
    expect(page.locator('[data-product="P-1"]')).to_contain_text("120.00")

    # the product page keeps the old price in its history
    page.locator('[data-product="P-1"] a').click()
    expect(page.locator('[data-panel="history"]')).to_contain_text("100.00 → 120.00")
    assert problems == []

    rep = browser.new_context(locale="zh-CN").new_page()
    login(rep, live_server, "rep", next_path=reverse("quotes:product:index"))
    expect(rep.locator('[data-product="N-1"]')).to_have_count(1)
    expect(rep.get_by_role("link", name="新建产品")).to_have_count(0)
    expect(rep.get_by_role("link", name="导入")).to_have_count(0)
    response = rep.goto(f"{live_server.url}{reverse('quotes:product:import')}")
    assert response.status == 403

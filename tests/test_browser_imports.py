"""Import a file from another system in a real browser (issue 17): an
industry not in our list, a customer type written another way, websites
without a scheme and a column we do not know; the values are mapped on the
preview, and the customers are created.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

FOREIGN = (
    "客户名称,客户类型,所属行业,网址,成立日期\r\n"
    '"上海""正安""软件有限公司",终端客户,农林牧渔,www.zhengan.cn,2001-05-01\r\n'
    "杭州绿野农业有限公司,代理商,农林牧渔,lvye.com.cn,2010-03-15\r\n"
)


def test_a_file_from_another_system_is_mapped_on_the_preview_and_imported(
    browser, live_server, org, tmp_path
):
    from playwright.sync_api import expect

    from customers.models import Customer

    path = tmp_path / "客户导出-其他CRM.csv"
    path.write_bytes(FOREIGN.encode("utf-8-sig"))

    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/customers/import/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/customers/import/")

    page.locator("select[name=kind]").select_option("customers")
    page.locator("input[name=file]").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    page.wait_for_url("**/customers/import/*-*/")

    mapping = page.locator('[data-panel="import-mapping"]')
    expect(mapping).to_contain_text("农林牧渔")
    expect(mapping).to_contain_text("成立日期")
    mapping.locator('[data-unknown-value="农林牧渔"] select').select_option("manufacturing")
    mapping.locator('[data-ignored-column="成立日期"] select').select_option("notes")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "import-mapping.png"), full_page=True)
    mapping.get_by_role("button", name="Apply and check again").click()

    confirm = page.locator('[data-panel="import-confirm"]')
    expect(confirm).to_be_visible()
    expect(page.locator('[data-panel="import-mapping"]')).to_have_count(0)
    confirm.get_by_role("button", name="Import 2 rows").click()
    expect(page.locator('[data-result="created"]')).to_have_text("2")

    rows = Customer.objects.order_by("name").values_list(
        "name", "type", "industry", "website", "notes"
    )
    assert list(rows) == [
        (
            '上海"正安"软件有限公司',
            "end_customer",
            "manufacturing",
            "https://www.zhengan.cn",
            "2001-05-01",
        ),
        (
            "杭州绿野农业有限公司",
            "distributor",
            "manufacturing",
            "https://lvye.com.cn",
            "2010-03-15",
        ),
    ]
    page.goto(f"{live_server.url}/customers/customer/")
    expect(page.locator("body")).to_contain_text('上海"正安"软件有限公司')
    assert problems == []

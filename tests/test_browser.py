"""The main journey in a real browser: Playwright driving Debian's Chromium.

Nothing is downloaded: the test uses /usr/bin/chromium. Without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI sets it), when it fails.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_rep_logs_in_switches_to_chinese_and_logs_out(browser, live_server, org):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/today/")
    assert "/accounts/login/" in page.url

    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("[data-testid=login-error]")).to_be_visible()

    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/today/")
    menu = page.locator(".vf-page__menu")
    expect(menu.get_by_text("Customers", exact=True)).to_be_visible()
    expect(page.locator('[data-panel="customers"]')).to_be_visible()

    page.click('button[data-language="zh-hans"]')
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(menu.get_by_text("客户", exact=True)).to_be_visible()
    expect(menu.get_by_text("今日", exact=True)).to_be_visible()
    expect(menu.get_by_text("功能导航")).to_be_visible()  # viewflow's own menu heading
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "today-zh-hans.png"), full_page=True)

    # The user menu of the drawer holds "log out".
    page.click(".vf-page__menu-toggle-button")
    page.locator('form[action="/accounts/logout/"] button').click()
    page.wait_for_url("**/accounts/login/**")
    page.goto(f"{live_server.url}/today/")
    assert "/accounts/login/" in page.url

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems

"""The customer journey in a real browser: a rep opens a customer, logs a
follow-up with the inline form and finds its next step on the start page.

Playwright drives Debian's Chromium (/usr/bin/chromium); nothing is
downloaded. Without it the test skips, unless CRM_REQUIRE_BROWSER is set
(CI sets it), when it fails.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_rep_logs_a_follow_up_and_sees_the_next_step_on_the_start_page(browser, live_server, org):
    from django.utils import timezone
    from playwright.sync_api import expect

    from customers.models import FollowUp
    from tests.factories import make_contact, make_customer

    customer = make_customer(org.rep, name="杭州启明软件有限公司", region="杭州")
    boss = make_contact(
        customer, name="王总", title="总经理", decision_role="decider", attitude="champion"
    )
    make_contact(customer, name="李工", title="IT经理", reports_to=boss, attitude="skeptic")
    zhang = make_contact(customer, name="张三", title="项目经理", mobile="13800138000")
    make_contact(make_customer(org.rep2, name="华南某公司"), name="张三丰")  # not rep's

    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    page.goto(f"{live_server.url}/today/")
    page.fill("input[name=username]", "rep")
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/today/")

    # Open the customer from the start page's card.
    page.locator('[data-panel="customers"]').get_by_role(
        "link", name="杭州启明软件有限公司"
    ).click()
    page.wait_for_url(f"**{customer.get_absolute_url()}")
    expect(page.locator('[data-panel="contacts"]')).to_contain_text("王总")
    # The decision tree is drawn (vis-network renders into a canvas).
    expect(page.locator("vf-network canvas")).to_have_count(1)

    form = page.locator('[data-testid="follow-up-form"]')
    form.locator("select[name=fu-kind]").select_option("visit")
    form.get_by_label("王总").check()
    form.locator("input[name=fu-subject]").fill("上门演示方案")
    form.locator("textarea[name=fu-outcome]").fill("客户认可，需要报价")
    form.locator("input[name=fu-next_step]").fill("发送正式报价")
    form.locator("input[name=fu-next_step_date]").fill(timezone.localdate().isoformat())
    form.get_by_role("button", name="Log follow-up").click()

    page.wait_for_url(f"**{customer.get_absolute_url()}#follow-ups")
    follow_ups = page.locator('[data-testid="follow-ups"]')
    expect(follow_ups).to_contain_text("上门演示方案")
    expect(follow_ups).to_contain_text("发送正式报价")
    follow_up = FollowUp.objects.get()
    assert (follow_up.owner, list(follow_up.contacts.all())) == (org.rep, [boss])
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-360.png"), full_page=True)

    page.goto(f"{live_server.url}/today/")
    steps = page.locator('[data-panel="next-steps"]')
    expect(steps).to_contain_text("发送正式报价")
    steps.get_by_role("link", name="杭州启明软件有限公司").click()
    page.wait_for_url(f"**{customer.get_absolute_url()}#follow-ups")

    # One-box search by pinyin initials finds 张三, as the rep types.
    box = page.locator('[data-testid="search-box"]')
    box.fill("zs")
    results = page.locator('[data-testid="search-result"]')
    expect(results.filter(has_text="张三")).to_have_count(1)
    expect(results.filter(has_text="张三丰")).to_have_count(0)  # outside the rep's scope
    results.filter(has_text="张三").click()
    page.wait_for_url(f"**{zhang.get_absolute_url()}")
    expect(page.locator("body")).to_contain_text("项目经理")

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems

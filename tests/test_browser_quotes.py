"""The quote journey in a real browser: a rep quotes a deal with a 15 %
discount and submits it; the sales manager approves it from the inbox.

Playwright drives Debian's Chromium (/usr/bin/chromium); nothing is
downloaded. Without it the test skips, unless CRM_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"


def _login(browser, live_server, username):
    page = browser.new_context(locale="en-US").new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server.url}/today/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/today/")
    return page, problems


def test_rep_quotes_with_15_percent_and_the_manager_approves_in_the_inbox(
    browser, live_server, org
):
    from datetime import timedelta

    from django.utils import timezone
    from playwright.sync_api import expect

    from projects.catalogue.demo import seed_products
    from projects.models import Product, Quote, QuoteStatus
    from tests.factories import make_opportunity
    from tests.projects.approval_helpers import make_quote_rules

    seed_products()
    make_quote_rules()
    deal = make_opportunity(org.rep, title="杭州启明 ERP 项目")
    product = Product.objects.get(code="P-TRN-01")  # 2000.00, 13 % tax

    # The rep writes the quote: 3 × 2000.00 less 15 % = 5100.00, tax 663.00.
    page, problems = _login(browser, live_server, "rep")
    page.goto(f"{live_server.url}/quotes/quote/add/?opportunity={deal.pk}")
    form = page.locator('[data-testid="quote-form"]')
    form.locator("input[name=valid_until]").fill(
        (timezone.localdate() + timedelta(days=30)).isoformat()
    )
    form.locator("select[name=lines-0-product]").select_option(str(product.pk))
    form.locator("input[name=lines-0-quantity]").fill("3")
    form.locator("input[name=lines-0-discount]").fill("15")
    form.locator('[data-testid="save-quote"]').click()
    page.wait_for_url("**/quotes/quote/*/detail/")
    expect(page.locator('[data-testid="total"]')).to_have_text("CNY 5,763.00")

    page.locator('[data-testid="submit-quote"]').click()
    expect(page.locator('[data-testid="quote-status"]')).to_contain_text("Waiting for approval")
    expect(page.locator('[data-testid="approval-chain"]')).to_contain_text("manager")
    quote = Quote.objects.get(opportunity=deal)
    assert quote.status == QuoteStatus.SUBMITTED

    # The manager finds it in the inbox and approves it.
    manager, manager_problems = _login(browser, live_server, "manager")
    manager.goto(f"{live_server.url}/quotes/inbox/")
    inbox = manager.locator('[data-testid="task-list-inbox"]')
    expect(inbox).to_contain_text(quote.number)
    inbox.locator('[data-testid="task-link"]').first.click()
    decision = manager.locator('[data-testid="decision-form"]')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    manager.screenshot(path=str(ARTIFACTS / "quote-approval-task.png"), full_page=True)
    decision.get_by_label("Approve").check()
    decision.locator("textarea[name=comment]").fill("同意")
    decision.locator('[data-testid="decide"]').click()
    manager.wait_for_url(f"{live_server.url}/quotes/inbox/")
    expect(manager.locator('[data-testid="task-list-inbox"]')).not_to_contain_text(quote.number)

    quote.refresh_from_db()
    assert quote.status == QuoteStatus.APPROVED
    page.goto(f"{live_server.url}{quote.get_absolute_url()}")
    expect(page.locator('[data-testid="quote-status"]')).to_contain_text("Approved")
    expect(page.locator('[data-testid="approval-history"]')).to_contain_text("同意")
    page.screenshot(path=str(ARTIFACTS / "quote-approved.png"), full_page=True)
    assert problems == [] and manager_problems == []

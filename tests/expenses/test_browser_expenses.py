"""In a real browser: a rep files an expense claim and submits it, the
manager approves it from the expense inbox, and finance sees the budget
execution change (EXP-2, EXP-3)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from expenses.budgets import budget_create
from tests.conftest import ARTIFACTS
from tests.test_browser_projects import login, watch_console

pytestmark = pytest.mark.browser


def _user_page(browser, live_server, username: str, next_path: str):
    page = browser.new_context(locale="en-US").new_page()
    problems = watch_console(page)
    login(page, live_server, username, next_path=next_path)
    return page, problems


def test_a_claim_is_filed_approved_and_counts_against_the_budget(
    browser, live_server, org, finance, travel, expense_rules
):
    from playwright.sync_api import expect

    today = timezone.localdate()
    line = budget_create(
        by=finance,
        department=org.team1,
        category=travel,
        period_kind="month",
        year=today.year,
        number=today.month,
        amount=Decimal("5000"),
    )
    budget_path = reverse("expenses:budget:index")
    finance_page, finance_problems = _user_page(browser, live_server, "finance", budget_path)
    row = finance_page.locator(f'[data-budget="{line.pk}"]')
    expect(row).to_contain_text("5,000.00")

    rep, rep_problems = _user_page(browser, live_server, "rep", reverse("expenses:claim:add"))
    form = rep.locator('[data-testid="claim-form"]')
    form.locator("select[name=category]").select_option(str(travel.pk))
    form.locator("input[name=amount]").fill("1234.50")
    form.locator("input[name=spent_on]").fill(today.isoformat())
    form.locator("textarea[name=description]").fill("客户拜访 高铁")
    form.locator('[data-testid="save-claim"]').click()
    expect(rep.locator('[data-testid="claim-status"]')).to_have_text("Draft")
    rep.locator('[data-testid="submit-claim"]').click()
    expect(rep.locator('[data-testid="claim-status"]')).to_have_text("Waiting for approval")

    finance_page.goto(f"{live_server.url}{budget_path}")
    expect(row).to_contain_text("1,234.50")  # submitted

    manager, manager_problems = _user_page(
        browser, live_server, "manager", reverse("expenses:inbox:index")
    )
    task = manager.locator('[data-testid="expense-inbox"] tr[data-task] a').first
    task.click()
    decision = manager.locator('[data-testid="decision-form"]')
    expect(decision).to_be_visible()
    decision.get_by_label("Approve", exact=True).check()
    decision.locator('[data-testid="decide"]').click()
    manager.wait_for_url(f"{live_server.url}{reverse('expenses:inbox:index')}")

    finance_page.goto(f"{live_server.url}{budget_path}")
    expect(row.locator("td").nth(6)).to_contain_text("1,234.50")  # approved
    expect(row.locator("td").nth(7)).to_contain_text("3,765.50")  # remaining
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    finance_page.screenshot(path=str(ARTIFACTS / "expenses-budget-execution.png"), full_page=True)
    assert finance_problems == rep_problems == manager_problems == []

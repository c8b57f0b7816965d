"""The order journey in a real browser (ORD-1): a rep enters an order for a
customer from the customer's page and submits it; the business secretary
finds it in "My order tasks" and approves the business review; finance
approves the re-check; the secretary records a partial delivery, then the
rest; finance records a partial collection. Each next assignee sees the new
step in the notification counter and list; the order's page shows its status
after every step.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import ARTIFACTS
from tests.test_browser_projects import login, watch_console

pytestmark = pytest.mark.browser


def _user_page(browser, live_server, username: str, *, next_path: str = "/today/"):
    """A browser context of its own for ``username`` (English UI), logged in."""
    page = browser.new_context(locale="en-US").new_page()
    problems = watch_console(page)
    login(page, live_server, username, next_path=next_path)
    return page, problems


def _expect_status(page, live_server, order, status: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    expect(page.locator('[data-testid="order-status"]')).to_have_text(status)


def _expect_notified(page, live_server, *, unread: int, title: str) -> None:
    """The header's counter shows ``unread``; the list names the new step;
    marking them read empties the counter."""
    from playwright.sync_api import expect

    badge = page.locator('[data-testid="notification-badge"]')
    count = badge.locator(".crm-notification-badge__count")
    expect(count).to_have_text(str(unread))
    badge.click()
    expect(page).to_have_url(f"{live_server.url}{reverse('notifications')}")
    expect(page.locator('[data-testid="notifications"] li').first).to_contain_text(title)
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator('[data-testid="notifications"] li').first).to_contain_text(title)
    expect(count).to_have_count(0)


def _open_step(page, live_server, order, step_title: str):
    """Open the order's step from "My order tasks" and return its form."""
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}{reverse('orders:tasks:index')}")
    row = page.locator('[data-testid="order-task-list"] tr', has_text=order.number)
    expect(row).to_have_count(1)
    expect(row.locator('[data-testid="task-link"]')).to_have_text(step_title)
    row.locator('[data-testid="task-link"]').click()
    form = page.locator('[data-testid="task-form"]')
    expect(form).to_be_visible()
    return form


def _confirm(page, live_server, form, order) -> None:
    """Confirm the step; back on the task list, the order waits for someone else."""
    from playwright.sync_api import expect

    form.locator('[data-testid="do-step"]').click()
    page.wait_for_url(f"{live_server.url}{reverse('orders:tasks:index')}")
    expect(page.locator('[data-testid="order-task-list"]')).not_to_contain_text(order.number)


def _approve(page, live_server, order, step_title: str) -> None:
    form = _open_step(page, live_server, order, step_title)
    form.get_by_label("Approve", exact=True).check()
    _confirm(page, live_server, form, order)


def test_an_order_goes_through_the_secretary_and_finance(browser, live_server, org, rep_customer):
    from decimal import Decimal

    from playwright.sync_api import expect

    from projects.catalogue.demo import seed_products
    from projects.models import OrderStatus, Product, SalesOrder
    from tests.factories import make_employee

    seed_products()
    make_employee(org.east_sales, "finance", username="finance")
    product = Product.objects.get(code="P-TRN-01")  # 2000.00, 13 % tax
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # The rep opens the customer's page and starts an order from its card.
    customer_path = reverse("customers:customer:detail", kwargs={"pk": rep_customer.pk})
    rep, rep_problems = _user_page(browser, live_server, "rep", next_path=customer_path)
    card = rep.locator('[data-panel="orders"]')
    expect(card).to_contain_text("No orders for this customer yet.")
    card.locator('[data-testid="new-customer-order"]').click()

    # 4 × 2000.00 = 8000.00, tax 1040.00
    form = rep.locator('[data-testid="order-form"]')
    expect(form.locator("select[name=customer]")).to_have_value(str(rep_customer.pk))
    form.locator("input[name=delivery_address]").fill("上海市浦东新区张江路 1 号")
    form.locator("select[name=lines-0-product]").select_option(str(product.pk))
    form.locator("input[name=lines-0-quantity]").fill("4")
    form.locator('[data-testid="save-order"]').click()
    rep.wait_for_url("**/orders/salesorder/*/detail/")
    expect(rep.locator('[data-testid="order-status"]')).to_have_text("Draft")
    order = SalesOrder.objects.get(customer=rep_customer)
    assert (order.owner, order.total) == (org.rep, Decimal("9040.00"))

    rep.locator('[data-testid="submit-order"]').click()
    expect(rep.locator('[data-testid="order-status"]')).to_have_text("Business review")
    expect(rep.locator('[data-testid="waiting-for"]')).to_contain_text("Business review")
    expect(rep.locator('[data-testid="open-task"]')).to_have_count(0)  # not the rep's to do

    # The secretary hears of it, finds it in "My order tasks" and approves.
    secretary, secretary_problems = _user_page(browser, live_server, "secretary")
    _expect_notified(
        secretary,
        live_server,
        unread=1,
        title=f"Order {order.number} waits for you: Business review",
    )
    _approve(secretary, live_server, order, "Business review")
    _expect_status(secretary, live_server, order, "Finance re-check")

    # Finance hears of the re-check and approves it.
    finance, finance_problems = _user_page(browser, live_server, "finance")
    _expect_notified(
        finance,
        live_server,
        unread=1,
        title=f"Order {order.number} waits for you: Finance re-check",
    )
    finance.screenshot(path=str(ARTIFACTS / "order-finance-notified.png"), full_page=True)
    _approve(finance, live_server, order, "Finance re-check")
    _expect_status(finance, live_server, order, "Delivery")

    # The secretary (notified again, for the delivery) records 1 of 4, then the rest.
    secretary.goto(f"{live_server.url}/today/")
    _expect_notified(
        secretary,
        live_server,
        unread=1,
        title=f"Order {order.number} waits for you: Record a delivery",
    )
    for quantity, status in (("1", "Delivery"), ("3", "Collection")):
        form = _open_step(secretary, live_server, order, "Record a delivery")
        quantity_input = form.locator("input[name^=line_]")
        expect(quantity_input).to_have_count(1)
        quantity_input.fill(quantity)
        form.locator("input[name=note]").fill(f"分批发货 {quantity}")
        form.locator('[data-testid="do-step"]').click()
        secretary.wait_for_url(f"{live_server.url}{reverse('orders:tasks:index')}")
        _expect_status(secretary, live_server, order, status)
        expect(secretary.locator('[data-testid="deliveries"]')).to_contain_text(
            f"培训服务 × {quantity}.00"
        )

    # Finance records a partial payment; the order waits for the rest.
    form = _open_step(finance, live_server, order, "Record a collection")
    expect(form.locator("input[name=amount]")).to_have_value("9040.00")  # what is outstanding
    form.locator("input[name=amount]").fill("3000.00")
    form.locator("input[name=reference]").fill("BANK-0001")
    form.locator('[data-testid="do-step"]').click()
    finance.wait_for_url(f"{live_server.url}{reverse('orders:tasks:index')}")
    expect(finance.locator('[data-testid="order-task-list"]')).to_contain_text(order.number)
    _expect_status(finance, live_server, order, "Collection")
    expect(finance.locator('[data-testid="collections"]')).to_contain_text("3,000.00")
    expect(finance.locator('[data-testid="collections"]')).to_contain_text("BANK-0001")
    header = finance.locator('[data-testid="order-header"]')
    expect(header).to_contain_text("Outstanding: CNY 6,040.00")
    finance.screenshot(path=str(ARTIFACTS / "order-partly-collected.png"), full_page=True)

    order.refresh_from_db()
    assert (order.status, order.delivered_amount, order.collected_amount) == (
        OrderStatus.COLLECTION,
        Decimal("8000.00"),  # delivered at net prices
        Decimal("3000.00"),
    )

    # The rep sees where the order stands on the customer's page.
    rep.goto(f"{live_server.url}{customer_path}")
    row = rep.locator(f'[data-panel="orders"] [data-order="{order.pk}"]')
    expect(row).to_contain_text("Collection")
    expect(row).to_contain_text("3,000.00")
    assert rep_problems == [] and secretary_problems == [] and finance_problems == []

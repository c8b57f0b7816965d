"""The service journey in a real browser: a rep records a complaint from the
customer's page and sees it there; the branch's service agent finds it on
the start page and in the queue, claims it and works it to its close.

Playwright drives Debian's Chromium (/usr/bin/chromium); nothing is
downloaded. Without it the test skips, unless CRM_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"


def login(page, base, username):
    page.goto(f"{base}/today/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today/")


def test_a_complaint_goes_from_the_customer_page_to_the_agents_queue(browser, live_server, org):
    from playwright.sync_api import expect

    from service.models import RequestStatus, ServiceRequest, SlaRule
    from tests.factories import DepartmentFactory, make_contact, make_customer, make_employee

    SlaRule.objects.create(
        name="投诉", request_type="complaint", response_hours=2, resolve_hours=48
    )
    customer = make_customer(org.rep, name="苏州精工机械有限公司")
    make_contact(customer, name="王总")
    service = DepartmentFactory(branch=org.east, name="华东服务部")
    make_employee(service, "service_agent", username="agent", first_name="赵强")
    base = live_server.url

    rep = browser.new_page(locale="en-US")
    problems: list[str] = []
    rep.on("pageerror", lambda e: problems.append(str(e)))
    login(rep, base, "rep")
    rep.goto(f"{base}{customer.get_absolute_url()}")
    panel = rep.locator('[data-panel="service_requests"]')
    expect(panel).to_contain_text("No service requests from this customer.")
    panel.locator('[data-testid="new-complaint"]').click()

    form = rep.locator('[data-testid="request-form"]')
    expect(form.locator("select[name=request_type]")).to_have_value("complaint")
    form.locator("input[name=subject]").fill("备件交付延误")
    form.locator("select[name=priority]").select_option("high")
    form.locator("select[name=contact]").select_option(label="王总")
    form.locator("select[name=employees]").select_option(label="rep_b")
    form.locator('[data-testid="save-request"]').click()
    request = ServiceRequest.objects.get()
    rep.wait_for_url(f"**{request.get_absolute_url()}")
    expect(rep.locator('[data-testid="request-status"]')).to_have_text("New")

    rep.goto(f"{base}{customer.get_absolute_url()}")
    expect(rep.locator('[data-panel="service_requests"]')).to_contain_text(request.number)

    agent = browser.new_page(locale="en-US")
    agent.on("pageerror", lambda e: problems.append(str(e)))
    login(agent, base, "agent")
    expect(agent.locator('[data-testid="today-queue"]')).to_contain_text(
        "1 request waiting in your branch's queue"
    )
    agent.locator('[data-testid="today-queue"]').click()
    queue = agent.locator('[data-testid="queue"]')
    expect(queue).to_contain_text(request.number)
    queue.locator(f'[data-testid="claim-{request.pk}"]').click()
    agent.wait_for_url(f"**{request.get_absolute_url()}")
    expect(agent.locator('[data-testid="request-status"]')).to_have_text("Assigned")

    agent.locator('[data-testid="start"]').click()
    expect(agent.locator('[data-testid="request-status"]')).to_have_text("In progress")
    agent.locator("textarea[name=resolution]").fill("已协调仓库加急发货")
    agent.locator('[data-testid="resolve"]').click()
    expect(agent.locator('[data-testid="request-status"]')).to_have_text("Resolved")
    agent.locator("select[name=satisfaction]").select_option("4")
    agent.locator('[data-testid="close"]').click()
    expect(agent.locator('[data-testid="satisfaction"]')).to_contain_text("4 / 5")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    agent.screenshot(path=str(ARTIFACTS / "service-request.png"), full_page=True)

    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED and request.satisfaction == 4
    assert list(request.events.order_by("at", "id").values_list("kind", flat=True)) == [
        "created",
        "claimed",
        "started",
        "resolved",
        "closed",
    ]
    assert problems == []

"""The funnel in a real browser: a rep opens the funnel, moves a card on the
pipeline board in another tab, clicks "Recompute" on the funnel and sees
the figures change; the chart draws and the page breaks no CSP rule.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import ARTIFACTS
from tests.test_browser_projects import login, move_card, open_board, watch_console

pytestmark = pytest.mark.browser


def funnel_cell(page, stage, name: str):
    return page.locator(f'tr[data-stage="{stage.pk}"] td[data-cell="{name}"]')


def test_a_card_moved_on_the_board_changes_the_funnel_after_recompute(
    browser, live_server, org, monkeypatch
):
    from playwright.sync_api import expect

    from crm.celery import app as celery_app
    from projects.deals import defaults
    from projects.models import Process, Stage
    from tests.factories import make_customer, make_opportunity

    # The snapshot task runs inline in the live server, even where REDIS_URL
    # points Celery at a broker (tests/analytics/test_worker.py has the worker).
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    defaults.install()  # the live server's test flushes the data migration's rows
    process = Process.objects.get(code="complex")
    stages = {s.code: s for s in Stage.objects.filter(process=process)}
    customer = make_customer(org.rep, name="苏州远景制造有限公司")
    # Close dates put them in the forecast the dashboard draws.
    closing = timezone.localdate() + timedelta(days=30)
    deal = make_opportunity(
        org.rep, customer=customer, title="数字化工厂二期", expected_close_date=closing
    )
    make_opportunity(org.rep, customer=customer, title="设备联网", expected_close_date=closing)
    make_opportunity(org.rep2, title="华南项目")  # outside the rep's scope

    page = browser.new_page(locale="en-US")
    problems = watch_console(page)
    login(page, live_server, "rep", next_path=f"/analytics/funnel/?process={process.pk}")
    expect(page.locator('[data-testid="funnel-chart"] .main-svg').first).to_be_visible()
    expect(funnel_cell(page, stages["lead"], "inflow")).to_have_text("2")  # not rep2's deal
    expect(funnel_cell(page, stages["solution"], "inflow")).to_have_text("0")
    computed = page.locator("[data-snapshot]").get_attribute("data-computed-at")

    board = browser.new_page(locale="en-US")
    board.context.add_cookies(page.context.cookies())
    open_board(board, live_server, process=process)
    move_card(board, deal, stages["solution"])
    board.close()

    # The open funnel page still shows the figures it was computed with ...
    expect(funnel_cell(page, stages["solution"], "inflow")).to_have_text("0")
    # ... until the rep asks for a recompute.
    with page.expect_navigation():
        page.get_by_role("button", name="Recompute").click()
    expect(funnel_cell(page, stages["lead"], "outflow")).to_have_text("1")
    expect(funnel_cell(page, stages["lead"], "closing")).to_have_text("1")
    expect(funnel_cell(page, stages["solution"], "inflow")).to_have_text("1")
    expect(funnel_cell(page, stages["lead"], "conversion_rate")).to_have_text("50.0%")
    assert page.locator("[data-snapshot]").get_attribute("data-computed-at") > computed
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "funnel.png"), full_page=True)

    page.goto(f"{live_server.url}/analytics/dashboard/")
    expect(page.locator('[data-testid="forecast-chart"] .main-svg').first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "manager-dashboard.png"), full_page=True)

    assert not problems, problems

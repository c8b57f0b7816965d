"""Attachments in a real browser (KNW-4): a rep attaches a PDF to a deal in
the deal page's attachments card, finds it with the one-box search by a word
inside, and the hit leads back to the deal.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails.
"""

from __future__ import annotations

import re

import pytest

from crm.attachments.pdf import simple_pdf
from tests.conftest import ARTIFACTS
from tests.test_browser_projects import login, watch_console

pytestmark = pytest.mark.browser


def test_rep_attaches_a_pdf_to_a_deal_and_finds_it_by_a_word_inside(
    browser, live_server, org, monkeypatch
):
    from playwright.sync_api import expect

    from crm.celery import app
    from tests.factories import make_opportunity

    # The text is read by the task after the upload's commit: inline here,
    # also when CI points Celery at Redis (the worker test covers that path).
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    deal = make_opportunity(org.rep, title="智慧园区一期")
    pdf = simple_pdf([["智慧园区一期 技术方案", "消防联动与门禁系统验收标准"]])

    page = browser.new_page(locale="en-US")
    problems = watch_console(page)
    login(page, live_server, "rep")
    page.goto(f"{live_server.url}{deal.get_absolute_url()}")

    card = page.locator('[data-panel="attachments"]')
    card.scroll_into_view_if_needed()  # the card is a lazy frame
    expect(card).to_contain_text("No attachments yet.")
    card.locator("input[type=file]").set_input_files(
        files=[{"name": "技术方案.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    card.get_by_role("button", name="Attach").click()
    expect(card.locator("[data-attachment]")).to_have_count(1)
    expect(card).to_contain_text("技术方案.pdf")
    expect(card).to_contain_text("Text indexed")

    # A file that is not what its name says is refused in the card.
    card.locator("input[type=file]").set_input_files(
        files=[{"name": "假的.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}]
    )
    card.get_by_role("button", name="Attach").click()
    expect(card.locator('[data-testid="attachment-error"]')).to_contain_text(
        "not what its name says"
    )
    expect(card.locator("[data-attachment]")).to_have_count(1)

    box = page.locator('[data-testid="search-box"]')
    box.fill("门禁")
    hit = page.locator('[data-testid="search-result"]', has_text="技术方案.pdf")
    expect(hit).to_be_visible()
    hit.click()
    # (Turbo follows the redirect by fetch, which drops the #attachments anchor.)
    page.wait_for_url(re.compile(re.escape(deal.get_absolute_url()) + "(#attachments)?$"))
    card = page.locator('[data-panel="attachments"]')
    card.scroll_into_view_if_needed()
    expect(card).to_contain_text("技术方案.pdf")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "deal-attachments.png"), full_page=True)
    # The refused upload's 422 is the only error the console reports.
    assert [p for p in problems if "422 (Unprocessable Entity)" not in p] == []

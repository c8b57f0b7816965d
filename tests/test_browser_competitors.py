"""Competition on the deal page in a real browser: the rep adds a competitor
in the deal page's Turbo frame, changes the threat, and after losing the
deal marks the competitor who won it; the analysis shows it.

Playwright drives Debian's Chromium (/usr/bin/chromium); nothing is
downloaded. Without it the test skips, unless CRM_REQUIRE_BROWSER is set.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"


def login(page, base, username):
    page.goto(f"{base}/today/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/today/")


def test_a_rep_records_the_competition_and_the_winner_on_the_deal_page(browser, live_server, org):
    from playwright.sync_api import expect

    from competitors import services
    from competitors.models import DealCompetitor
    from tests.competitors.conftest import lose
    from tests.factories import make_opportunity

    rival = services.competitor_create(by=None, name="华信办公科技")
    deal = make_opportunity(org.rep, title="苏州精工复印机项目")
    base = live_server.url

    page = browser.new_page(locale="en-US")
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    login(page, base, "rep")
    page.goto(f"{base}{deal.get_absolute_url()}")
    card = page.locator('[data-panel="competition"]')
    card.scroll_into_view_if_needed()  # the frame loads lazily
    expect(card).to_contain_text("No competitors recorded on this deal.")
    form = card.locator('[data-testid="add-competitor"]')
    form.locator("select[name=competitor]").select_option(label="华信办公科技")
    form.locator("input[name=quote_amount]").fill("95000")
    form.locator("select[name=threat]").select_option("high")
    form.locator("button[type=submit]").click()
    expect(card.locator("[data-entry]")).to_have_count(1)
    assert page.url.endswith(deal.get_absolute_url())  # stayed on the deal page
    entry = DealCompetitor.objects.get()
    assert (entry.competitor, entry.threat) == (rival, "high")

    lose(deal)
    page.reload()
    card.scroll_into_view_if_needed()
    row = card.locator(f'[data-entry="{entry.pk}"]')
    row.locator(f"input[name=e{entry.pk}-won_deal]").check()
    frame_url = f"/competitors/deal/{deal.pk}/"
    with page.expect_response(lambda r: r.url.endswith(frame_url) and r.request.method == "GET"):
        row.locator("button[type=submit]").first.click()
    expect(row.locator(f"input[name=e{entry.pk}-won_deal]")).to_be_checked()
    entry.refresh_from_db()
    assert entry.won_deal

    page.goto(f"{base}/competitors/analysis/")
    expect(page.locator('[data-testid="analysis-competitors"]')).to_contain_text("华信办公科技")
    assert problems == []

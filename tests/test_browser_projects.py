"""The pipeline board in a real browser: a rep logs in, opens the board,
drags a card to another stage and finds it in the new column; the deal page
shows the move in its stage history.

Playwright drives Debian's Chromium (/usr/bin/chromium); without it the test
skips, unless CRM_REQUIRE_BROWSER is set (CI), when it fails.

``login`` and ``move_card`` are reusable: the analytics journey moves a card
the same way before it recomputes the funnel.
"""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple"  # tests.factories.make_employee


def watch_console(page) -> list[str]:
    """Collect console errors and page errors (CSP violations among them)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def login(page, live_server, username: str, *, next_path: str = "/today/") -> None:
    page.goto(f"{live_server.url}{next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")


def open_board(page, live_server, *, process=None) -> None:
    query = f"?process={process.pk}" if process is not None else ""
    page.goto(f"{live_server.url}/projects/board/{query}")
    page.wait_for_selector("crm-board")


def move_card(page, deal, stage, *, drag: bool = True) -> None:
    """Move ``deal``'s card to ``stage`` on the open board and wait until the
    board shows it there. ``drag=False`` uses the card's no-script form."""
    from playwright.sync_api import expect

    card = page.locator(f'[data-card="{deal.pk}"]')
    if drag:
        target = page.locator(f'crm-board [data-column="{stage.pk}"]')
        with page.expect_navigation():  # the board reloads after a move
            card.drag_to(target)
    else:
        card.locator("select[name=stage]").select_option(str(stage.pk))
        with page.expect_navigation():
            card.get_by_role("button", name="Move").click()
    if stage.is_open:
        expect(page.locator(f'[data-column="{stage.pk}"] [data-card="{deal.pk}"]')).to_have_count(1)
    else:
        expect(page.locator(f'[data-card="{deal.pk}"]')).to_have_count(0)


def test_rep_moves_a_card_on_the_board(browser, live_server, org):
    from django.utils import timezone
    from playwright.sync_api import expect

    from projects.deals import defaults
    from projects.models import Process, Stage, StageEvent
    from tests.factories import make_customer, make_opportunity

    defaults.install()  # the live server's test flushes the data migration's rows
    process = Process.objects.get(code="complex")
    stages = {s.code: s for s in Stage.objects.filter(process=process)}
    customer = make_customer(org.rep, name="杭州启明软件有限公司")
    deal = make_opportunity(
        org.rep,
        customer=customer,
        title="智慧园区一期",
        expected_amount=880000,
        expected_close_date=timezone.localdate(),
    )
    other = make_opportunity(
        org.rep, customer=customer, title="数据中心扩容", expected_amount=120000
    )
    make_opportunity(org.rep2, title="华南项目")  # outside the rep's scope

    page = browser.new_page(locale="en-US")
    problems = watch_console(page)
    login(page, live_server, "rep")

    # The start page's deal cards and the customer page's deals load in frames.
    expect(page.locator('[data-panel="closing-deals"]')).to_contain_text("智慧园区一期")
    page.goto(f"{live_server.url}{customer.get_absolute_url()}")
    deals = page.locator('[data-testid="customer-deals"]')
    expect(deals).to_contain_text("数据中心扩容")
    deals.get_by_role("link", name="New deal").click()
    page.wait_for_url(f"**/projects/opportunity/add/?customer={customer.pk}")
    expect(page.locator("select[name=customer]")).to_have_value(str(customer.pk))

    open_board(page, live_server)

    lead = page.locator(f'[data-column="{stages["lead"].pk}"]')
    expect(lead.locator("[data-card]")).to_have_count(2)
    expect(lead.locator('[data-testid="column-count"]')).to_have_text("2")
    expect(page.locator("crm-board")).not_to_contain_text("华南项目")

    move_card(page, deal, stages["solution"])

    solution = page.locator(f'[data-column="{stages["solution"].pk}"]')
    expect(solution.locator('[data-testid="column-count"]')).to_have_text("1")
    expect(solution.locator('[data-testid="column-sum"]')).to_have_text("CNY 880,000.00")
    expect(lead.locator('[data-testid="column-count"]')).to_have_text("1")
    event = StageEvent.objects.filter(opportunity=deal).latest("at", "id")
    assert (event.from_stage_id, event.to_stage_id, event.by_id) == (
        stages["lead"].pk,
        stages["solution"].pk,
        org.rep.pk,
    )

    # The card's form works too (no drag and drop needed).
    move_card(page, other, stages["needs"], drag=False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pipeline-board.png"), full_page=True)

    # Dropping on "Lost" asks for the loss reason first.
    page.locator(f'[data-card="{other.pk}"]').drag_to(
        page.locator(f'[data-column="{stages["lost"].pk}"]')
    )
    dialog = page.locator("dialog[data-loss-dialog]")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=loss_reason]").select_option(index=1)
    with page.expect_navigation():
        dialog.get_by_role("button", name="Close as lost").click()
    expect(page.locator(f'[data-card="{other.pk}"]')).to_have_count(0)
    other.refresh_from_db()
    assert other.status == "lost" and other.loss_reason is not None

    # The deal page shows where the card went, and its Gantt chart draws.
    page.locator(f'[data-card="{deal.pk}"]').get_by_role("link", name="智慧园区一期").click()
    page.wait_for_url(f"**{deal.get_absolute_url()}")
    expect(page.locator('[data-testid="stage-path"] [aria-current="step"]')).to_have_text(
        "Solution design 40%"
    )
    expect(page.locator('[data-testid="stage-events"]')).to_contain_text("Solution design")
    page.screenshot(path=str(ARTIFACTS / "deal-workspace.png"), full_page=True)

    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems

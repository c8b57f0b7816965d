"""The knowledge journey in a real browser: HQ writes an article in the Trix
editor, a rep finds it by pinyin, and reads an announcement, which empties
the counter in the header."""

from __future__ import annotations

import pytest

from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def _login(page, live_server, username):
    page.goto(f"{live_server.url}/today/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct-horse-battery-staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/today/")


def test_hq_writes_an_article_a_rep_finds_it_and_reads_the_announcement(browser, live_server, org):
    from playwright.sync_api import expect

    from knowledge.models import Article, Category
    from knowledge.services import announcement_publish

    Category.objects.create(name="销售技巧", name_en="Selling")
    announcement_publish(by=org.executive, title="启用新版系统", body="<div>请登录</div>")

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    _login(page, live_server, "executive")
    page.goto(f"{live_server.url}/knowledge/articles/add/")
    form = page.locator('[data-testid="article-form"]')
    form.locator("input[name=title]").fill("如何应对价格异议")
    form.locator("select[name=kind]").select_option("tip")
    form.locator("select[name=category]").select_option(label="Selling")
    form.locator("input[name=tags]").fill("报价, 谈判")
    editor = form.locator("trix-editor")
    editor.click()
    page.keyboard.type("先确认客户的预算区间，再谈折扣。")
    form.locator("select[name=status]").select_option("published")
    form.get_by_label("Everyone").check()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "knowledge-article-form.png"), full_page=True)
    form.get_by_role("button", name="Save").click()

    article = Article.objects.get()
    page.wait_for_url(f"**{article.get_absolute_url()}")
    expect(page.locator('[data-testid="article"]')).to_contain_text("先确认客户的预算区间")
    assert "预算区间" in article.body and article.version == 1
    page.screenshot(path=str(ARTIFACTS / "knowledge-article.png"), full_page=True)
    context.close()

    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    _login(page, live_server, "rep")
    badge = page.locator('[data-testid="announcement-badge"]')
    expect(badge).to_contain_text("1")
    page.locator('[data-panel="announcements"]').get_by_role("link", name="启用新版系统").click()
    expect(page.locator('[data-testid="announcement"]')).to_contain_text("请登录")
    page.goto(f"{live_server.url}/knowledge/search/?q=yusuan")
    hit = page.locator('[data-testid="knowledge-hit"]')
    expect(hit).to_contain_text("如何应对价格异议")
    page.goto(f"{live_server.url}/knowledge/search/?q=预算")
    expect(page.locator('[data-testid="knowledge-hit"] mark')).to_have_text("预算")
    expect(
        page.locator('[data-testid="announcement-badge"] .crm-notification-badge__count')
    ).to_have_count(0)
    context.close()
    assert problems == []

"""KNW-1: articles -- audience, drafts, versions, sanitised rich text, the
pages and who may write."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from knowledge.models import Article, ArticleStatus, ArticleVersion, Audience
from knowledge.richtext import plain_text, sanitize
from knowledge.selectors import access_article, article_visible_to
from knowledge.services import AUDIENCE_NEEDS_BRANCHES, article_update

pytestmark = pytest.mark.django_db


def detail_url(article) -> str:
    return reverse("knowledge:articles:detail", kwargs={"pk": article.pk})


LIST_URL = "/knowledge/articles/"


def test_audience_all_branches_and_departments(org, make_article):
    everyone = make_article(title="全员可见")
    east = make_article(title="华东可见", audience=Audience.BRANCHES, branches=[org.east])
    team1 = make_article(title="一部可见", audience=Audience.DEPARTMENTS, departments=[org.team1])

    def seen(user):
        return set(article_visible_to(user).values_list("title", flat=True))

    assert seen(org.rep) == {"全员可见", "华东可见", "一部可见"}
    # A sub-department sees what its parent department was given.
    assert seen(org.sub_rep) == {"全员可见", "华东可见", "一部可见"}
    assert seen(org.rep_team2) == {"全员可见", "华东可见"}
    assert seen(org.rep2) == {"全员可见"}
    assert everyone and east and team1


def test_an_article_outside_the_audience_is_404_on_every_page(org, client, make_article):
    east = make_article(title="华东拜访规范", audience=Audience.BRANCHES, branches=[org.east])
    article_update(article=east, by=org.executive, body="<div>第二版</div>")
    client.force_login(org.rep2)  # South China
    urls = [
        detail_url(east),
        reverse("knowledge:articles:versions", kwargs={"pk": east.pk}) + "?a=1&b=2",
        reverse("knowledge:articles:version", kwargs={"pk": east.pk, "number": 1}),
        reverse("knowledge:articles:change", kwargs={"pk": east.pk}),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(urls[-1], {"title": "changed"}).status_code == 404
    assert "华东拜访规范" not in client.get(LIST_URL).content.decode()
    assert Article.objects.get(pk=east.pk).title == "华东拜访规范"

    client.force_login(org.rep)  # East China
    for url in urls[:3]:
        assert client.get(url).status_code == 200, url


def test_a_draft_is_seen_by_its_author_and_editors_only(org, make_article):
    draft = make_article(by=org.branch_mgr, title="草稿", status=ArticleStatus.DRAFT)
    assert access_article(user=org.branch_mgr, pk=draft.pk) == draft
    assert access_article(user=org.executive, pk=draft.pk) == draft  # editor
    with pytest.raises(Exception) as denied:
        access_article(user=org.rep, pk=draft.pk)
    assert denied.type.__name__ == "Http404"


def test_every_save_keeps_a_version_and_two_can_be_compared(org, client, make_article):
    article = make_article(body="<div>第一段</div><div>第二段</div>")
    updated = article_update(
        article=article,
        by=org.executive,
        title="新标题",
        body="<div>第一段</div><div>改写的第二段</div>",
        note="改写",
    )

    assert updated.version == 2
    versions = list(ArticleVersion.objects.filter(article=article).order_by("number"))
    assert [(v.number, v.title) for v in versions] == [(1, "如何应对价格异议"), (2, "新标题")]
    assert versions[0].body_text == "第一段\n第二段"

    client.force_login(org.rep)
    url = reverse("knowledge:articles:versions", kwargs={"pk": article.pk})
    response = client.get(url, {"a": 2, "b": 1})
    rows = response.context["compare"]["rows"]
    assert rows == [(" ", "第一段"), ("-", "第二段"), ("+", "改写的第二段")]
    assert response.context["compare"]["title_changed"] is True
    assert client.get(url, {"a": 1, "b": 9}).status_code == 404


def test_rich_text_is_sanitised(org, make_article):
    article = make_article(
        body='<div onclick="steal()">好<script>alert(1)</script>'
        '<a href="javascript:alert(1)">坏链接</a><a href="https://example.com">好链接</a>'
        "<strong>粗</strong><img src=x onerror=alert(1)></div>"
    )
    assert "script" not in article.body and "onclick" not in article.body
    assert "javascript" not in article.body and "<img" not in article.body
    assert '<a href="https://example.com" rel="noopener noreferrer">好链接</a>' in article.body
    assert "<strong>粗</strong>" in article.body
    assert article.versions.get().body == article.body
    assert plain_text(sanitize("<div>a &amp; b</div><div>c</div>")) == "a & b\nc"


def test_an_audience_without_branches_is_refused_and_nothing_is_stored(org, make_article):
    with pytest.raises(ValidationError) as refused:
        make_article(audience=Audience.BRANCHES, branches=[])
    assert refused.value.message_dict["branches"] == [str(AUDIENCE_NEEDS_BRANCHES)]
    assert not Article.objects.exists()


def _form(category, **overrides):
    data = {
        "title": "报价单填写指南",
        "kind": "tip",
        "category": category.pk,
        "tags": "报价，折扣, 报价",
        "summary": "三步填好报价单",
        "body": "<div>先选产品<script>x()</script></div>",
        "status": "published",
        "audience": "branches",
        "branches": [],
        "departments": [],
        "note": "初稿",
    }
    data.update(overrides)
    return data


def test_who_may_write_articles(org, client, category):
    add = reverse("knowledge:articles:add")
    client.force_login(org.rep)
    assert client.get(add).status_code == 403
    assert client.post(add, _form(category, branches=[org.east.pk])).status_code == 403
    assert not Article.objects.exists()

    client.force_login(org.branch_mgr)  # may write; edits own articles only
    response = client.post(add, _form(category))
    assert response.status_code == 200  # no branch chosen for a branch audience
    assert "branches" in response.context["form"].errors
    assert not Article.objects.exists()

    response = client.post(add, _form(category, branches=[org.east.pk]))
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(article)
    assert "script" not in article.body
    assert sorted(article.tags.values_list("name", flat=True)) == ["折扣", "报价"]
    assert list(article.branches.all()) == [org.east]

    change = reverse("knowledge:articles:change", kwargs={"pk": article.pk})
    other = Article.objects.create(
        title="别人的", kind="tip", category=category, author=org.executive,
        updated_by=org.executive, status="published",
    )  # fmt: skip
    assert client.get(change).status_code == 200
    assert (
        client.get(reverse("knowledge:articles:change", kwargs={"pk": other.pk})).status_code == 403
    )

    client.force_login(org.executive)  # an editor edits any article
    response = client.post(change, _form(category, title="报价单填写指南（修订）", audience="all"))
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.title, article.version, article.audience) == (
        "报价单填写指南（修订）",
        2,
        "all",
    )
    assert not article.branches.exists()


def test_list_filters_and_search(org, client, make_article, category):
    make_article(title="价格异议", tags=["报价"])
    make_article(title="首次拜访清单", body="<div>带上两个成功案例</div>", kind="faq")
    client.force_login(org.rep)

    def titles(**params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return [a.title for a in response.context["articles"]]

    assert titles() == ["首次拜访清单", "价格异议"]
    assert titles(kind="faq") == ["首次拜访清单"]
    assert titles(tag="报价") == ["价格异议"]
    assert titles(category=category.pk, q="案例") == ["首次拜访清单"]
    assert titles(q="baifang") == ["首次拜访清单"]  # pinyin
    response = client.get(LIST_URL, {"q": "案例"})
    assert "<mark>案例</mark>" in response.content.decode()


def test_list_and_detail_query_counts_do_not_grow(
    org, client, make_article, django_assert_max_num_queries, django_assert_num_queries
):
    article = make_article(tags=["报价", "谈判"])
    client.force_login(org.rep)
    client.get(LIST_URL)
    with django_assert_max_num_queries(12) as list_queries:
        client.get(LIST_URL)
    with django_assert_max_num_queries(12) as detail_queries:
        client.get(detail_url(article))
    for index in range(8):
        make_article(title=f"文章{index}", tags=["报价", f"标签{index}"])
        article_update(article=article, by=org.executive, body=f"<div>第{index}版</div>")
    with django_assert_num_queries(len(list_queries)):
        response = client.get(LIST_URL)
    assert len(response.context["articles"]) == 9
    with django_assert_num_queries(len(detail_queries)):
        assert client.get(detail_url(article)).status_code == 200
    versions = reverse("knowledge:articles:versions", kwargs={"pk": article.pk})
    # session, user, permissions (2), the article (with tags, branches,
    # departments), its versions, the two compared
    with django_assert_num_queries(11):
        response = client.get(versions, {"a": 1, "b": 9})
    assert len(response.context["versions"]) == 9


def test_the_form_uses_the_trix_editor_that_viewflow_ships(org, client, category):
    client.force_login(org.executive)
    page = client.get(reverse("knowledge:articles:add")).content.decode()
    assert "<trix-editor" in page
    assert "/static/viewflow/js/trix.js" in page
    assert "/static/viewflow/css/trix.css" in page

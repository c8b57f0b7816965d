"""KNW-3: self-service search over articles and posts -- Chinese words,
pinyin, ranking, highlighted snippets, scoped to what the user may read;
and the same in the one-box search."""

from __future__ import annotations

import pytest

from crm.search import search_providers
from knowledge.models import Audience
from knowledge.search import search_articles, snippet
from knowledge.search_providers import ArticleSearchProvider, PostSearchProvider
from knowledge.services import article_update, group_create, topic_start

pytestmark = pytest.mark.django_db
URL = "/knowledge/search/"


def titles(queryset) -> list[str]:
    return [a.title for a in queryset] if queryset is not None else []


def test_words_pinyin_and_ranking(org, make_article):
    make_article(title="差旅费用报销制度", body="<div>住宿标准每晚五百元</div>")
    make_article(title="合同审批权限", body="<div>报销单据也需要审批</div>")
    make_article(title="X200 产品介绍", body="<div>主轴转速 12000rpm</div>", tags=["机床"])

    assert titles(search_articles(user=org.rep, query="报销")) == [
        "差旅费用报销制度",  # in the title: ranked first
        "合同审批权限",
    ]
    assert titles(search_articles(user=org.rep, query="baoxiao")) == [
        "差旅费用报销制度",
        "合同审批权限",
    ]
    assert titles(search_articles(user=org.rep, query="住宿标准")) == ["差旅费用报销制度"]
    assert titles(search_articles(user=org.rep, query="x200")) == ["X200 产品介绍"]
    assert titles(search_articles(user=org.rep, query="机床")) == ["X200 产品介绍"]  # a tag
    assert search_articles(user=org.rep, query="a") is None  # noise


def test_search_follows_edits(org, make_article):
    article = make_article(title="旧标题", body="<div>旧内容</div>")
    article_update(article=article, by=org.executive, title="价格体系", body="<div>新内容</div>")
    assert titles(search_articles(user=org.rep, query="旧内容")) == []
    assert titles(search_articles(user=org.rep, query="价格体系")) == ["价格体系"]


def test_results_are_scoped_to_what_the_user_may_read(org, client, make_article):
    make_article(title="华东拜访规范", audience=Audience.BRANCHES, branches=[org.east])
    make_article(title="草稿拜访", status="draft")
    group = group_create(by=org.manager, name="攻坚组", members=[org.rep])
    topic_start(by=org.manager, group=group, title="拜访安排", body="周五拜访瑞丰")

    client.force_login(org.rep)
    page = client.get(URL, {"q": "拜访"}).content.decode()
    assert "华东拜访规范" in page and "拜访安排" in page and "草稿拜访" not in page

    client.force_login(org.rep2)
    response = client.get(URL, {"q": "拜访"})
    page = response.content.decode()
    assert "华东拜访规范" not in page and "拜访安排" not in page
    assert response.context["sections"] == [] or all(
        not section["rows"] for section in response.context["sections"]
    )

    dropdown = client.get("/search/", {"q": "拜访", "partial": "1"}).content.decode()
    assert "华东拜访规范" not in dropdown and "拜访安排" not in dropdown
    client.force_login(org.rep)
    dropdown = client.get("/search/", {"q": "拜访", "partial": "1"}).content.decode()
    assert "华东拜访规范" in dropdown and "拜访安排" in dropdown


def test_snippets_are_highlighted_and_escaped(org, client, make_article):
    make_article(
        title="报价技巧",
        body="<div>"
        + "开场白。" * 40
        + "客户说太贵时，先确认价值 &lt;b&gt;再谈&lt;/b&gt;价格。</div>",
    )
    client.force_login(org.rep)
    page = client.get(URL, {"q": "确认价值"}).content.decode()
    assert "<mark>确认价值</mark>" in page
    assert "&lt;b&gt;再谈&lt;/b&gt;" in page and "<b>再谈" not in page
    assert "…" in page  # the window starts mid-text

    html = snippet("<script>alert(1)</script> 报价 <i>", "报价")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>报价</mark> &lt;i&gt;"
    assert snippet("折扣审批", "zhekou") == "折扣审批"  # pinyin: no literal match to mark


def test_the_one_box_search_has_knowledge_providers(org):
    keys = [p.key for p in search_providers.for_user(org.rep)]
    assert "articles" in keys and "posts" in keys
    assert isinstance(search_providers.get("articles"), ArticleSearchProvider)
    assert isinstance(search_providers.get("posts"), PostSearchProvider)


def test_search_page_query_count_does_not_grow(
    org, client, make_article, django_assert_max_num_queries, django_assert_num_queries
):
    make_article(title="报价技巧一", body="<div>报价</div>")
    group = group_create(by=org.manager, name="组", members=[org.rep])
    client.force_login(org.rep)
    client.get(URL, {"q": "报价"})
    with django_assert_max_num_queries(10) as captured:
        client.get(URL, {"q": "报价"})
    for index in range(10):
        make_article(title=f"报价技巧{index}", body="<div>报价</div>", tags=[f"t{index}"])
        topic_start(by=org.rep, group=group, title=f"报价{index}", body="报价怎么做")
    with django_assert_num_queries(len(captured)):
        response = client.get(URL, {"q": "报价"})
    assert [len(s["rows"]) for s in response.context["sections"]] == [11, 10]


def test_running_text_keeps_words_and_their_pinyin_not_suffix_chains():
    from crm.textsearch import prose_tokens, search_tokens

    tokens = prose_tokens("客户认可方案，需要正式报价 X200")
    assert {"客户", "kehu", "报价", "baojia", "x200"} <= set(tokens)
    assert "认可方案" not in tokens and "需要正式报价" not in tokens  # no suffixes
    assert len(tokens) < len(search_tokens("客户认可方案，需要正式报价 X200"))

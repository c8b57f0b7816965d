"""The knowledge area in the menu, in Chinese, and in Django admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from knowledge.services import announcement_publish, group_create

pytestmark = pytest.mark.django_db


def test_the_pages_speak_chinese(org, make_article):
    make_article(title="首次拜访清单")
    announcement_publish(by=org.executive, title="启用新版系统", body="<div>请登录</div>")
    group_create(by=org.manager, name="攻坚组", members=[org.rep])
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(org.rep)
    with translation.override("zh-hans"):
        pages = {
            "/knowledge/articles/": "文章",
            "/knowledge/groups/": "讨论组",
            "/knowledge/announcements/": "公告",
            "/knowledge/search/?q=拜访": "知识自助查询",
            reverse("today:index"): "未读公告",
        }
        for url, word in pages.items():
            response = client.get(url)
            assert response.status_code == 200, url
            assert word in response.content.decode(), url


def test_the_menu_has_the_knowledge_area(org, client):
    client.force_login(org.rep)
    page = client.get("/knowledge/articles/").content.decode()
    for url in ("/knowledge/articles/", "/knowledge/groups/", "/knowledge/announcements/",
                "/knowledge/search/"):  # fmt: skip
        assert f'href="{url}"' in page


@pytest.mark.parametrize(
    "name",
    [
        "admin:knowledge_category_changelist",
        "admin:knowledge_tag_changelist",
        "admin:knowledge_article_changelist",
        "admin:knowledge_discussiongroup_changelist",
        "admin:knowledge_topic_changelist",
        "admin:knowledge_announcement_changelist",
    ],
)
def test_admin_lists_load(org, admin_client, name, make_article):
    make_article()
    assert admin_client.get(reverse(name)).status_code == 200


def test_admins_manage_categories(admin_client):
    from knowledge.models import Category

    response = admin_client.post(
        reverse("admin:knowledge_category_add"),
        {"name": "售后服务", "name_en": "After-sales", "order": 5, "is_active": "on"},
    )
    assert response.status_code == 302
    assert Category.objects.values_list("name", "name_en").get() == ("售后服务", "After-sales")

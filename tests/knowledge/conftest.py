"""Fixtures of the knowledge tests: a category, and helpers that write
through the services as the app does."""

from __future__ import annotations

import pytest

from knowledge.models import ArticleKind, ArticleStatus, Category
from knowledge.services import article_create


@pytest.fixture
def category(db) -> Category:
    return Category.objects.create(name="销售技巧", name_en="Selling")


@pytest.fixture
def make_article(org, category):
    def make(
        *, by=None, title="如何应对价格异议", body="<div>先确认价值，再谈价格。</div>", **fields
    ):
        fields.setdefault("kind", ArticleKind.TIP)
        fields.setdefault("status", ArticleStatus.PUBLISHED)
        return article_create(
            by=by or org.executive, title=title, category=category, body=body, **fields
        )

    return make

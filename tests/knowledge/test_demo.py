"""The knowledge demo data: what the brief asks for, and idempotent."""

from __future__ import annotations

import io

import pytest

from crm import demo as crm_demo
from knowledge import demo
from knowledge.models import (
    Announcement,
    AnnouncementReceipt,
    Article,
    ArticleVersion,
    Category,
    DiscussionGroup,
    Post,
)

pytestmark = pytest.mark.django_db


def test_demo_knowledge_is_seeded_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    crm_demo.seed(options={}, stdout=io.StringIO())
    demo.seed(options={}, stdout=io.StringIO())
    counts = [
        m.objects.count()
        for m in (Category, Article, ArticleVersion, DiscussionGroup, Post, Announcement,
                  AnnouncementReceipt)
    ]  # fmt: skip
    demo.seed(options={}, stdout=io.StringIO())
    assert counts == [
        m.objects.count()
        for m in (Category, Article, ArticleVersion, DiscussionGroup, Post, Announcement,
                  AnnouncementReceipt)
    ]  # fmt: skip
    assert Article.objects.count() >= 15 and DiscussionGroup.objects.count() == 2
    assert Article.objects.filter(audience="branches").exists()
    assert Article.objects.filter(status="draft").exists()
    assert Announcement.objects.filter(to_all_branches=True).count() == 2
    east_only = Announcement.objects.get(to_all_branches=False)
    assert list(east_only.branches.values_list("code", flat=True)) == ["east"]
    assert AnnouncementReceipt.objects.exists()

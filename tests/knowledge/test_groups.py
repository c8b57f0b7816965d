"""KNW-2: discussion groups -- only members (and moderators) see a group,
its topics and posts; topics about any record through a generic relation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from customers.models import Customer
from knowledge.discussions import discussion_subjects
from knowledge.models import DiscussionGroup, GroupMembership, Post, Topic
from knowledge.search import search_posts
from knowledge.selectors import access_topic, subject_topics
from knowledge.services import group_create, post_create, topic_start
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(org):
    group = group_create(by=org.manager, name="华东大客户攻坚组", members=[org.rep])
    topic = topic_start(by=org.rep, group=group, title="瑞丰物流项目", body="采购部在压价")
    post_create(topic=topic, by=org.manager, body="先约采购总监")
    return group


def group_url(group, name="detail"):
    return reverse(f"knowledge:groups:{name}", kwargs={"pk": group.pk})


def topic_url(topic):
    return reverse("knowledge:groups:topic", kwargs={"pk": topic.pk})


def test_only_members_see_a_group_its_topics_and_posts(org, client, group, admin_user):
    topic = group.topics.get()
    for outsider in (org.rep_b, org.branch_mgr, org.executive):  # scope does not matter
        client.force_login(outsider)
        assert client.get(group_url(group)).status_code == 404
        assert client.get(topic_url(topic)).status_code == 404
        assert client.post(topic_url(topic), {"body": "偷看"}).status_code == 404
        assert client.post(group_url(group), {"title": "x", "body": "y"}).status_code == 404
        assert (
            client.post(group_url(group, "members"), {"members": [outsider.pk]}).status_code == 404
        )
        assert "华东大客户攻坚组" not in client.get("/knowledge/groups/").content.decode()
        assert list(search_posts(user=outsider, query="压价")) == []
    assert Post.objects.count() == 2 and Topic.objects.count() == 1
    assert not GroupMembership.objects.filter(user__in=[org.rep_b, org.executive]).exists()

    for insider in (org.rep, org.manager, admin_user):  # members and a moderator
        client.force_login(insider)
        assert client.get(group_url(group)).status_code == 200
        assert client.get(topic_url(topic)).status_code == 200


def test_members_start_topics_and_reply(org, client, group):
    client.force_login(org.rep)
    response = client.post(group_url(group), {"title": "年底冲刺", "body": "哪些商机可以提前签？"})
    topic = Topic.objects.get(title="年底冲刺")
    assert response.status_code == 302 and response["Location"] == topic_url(topic)
    assert (topic.post_count, topic.author) == (1, org.rep)

    client.force_login(org.manager)
    response = client.post(topic_url(topic), {"body": "我有两个"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.post_count == 2
    assert list(topic.posts.values_list("body", flat=True)) == ["哪些商机可以提前签？", "我有两个"]

    response = client.post(topic_url(topic), {"body": "   "})
    assert response.status_code == 200 and "body" in response.context["form"].errors
    assert topic.posts.count() == 2


def test_owners_manage_members_others_may_not(org, client, group):
    members = group_url(group, "members")
    client.force_login(org.rep)  # a member, not the owner
    assert client.post(members, {"members": [org.rep_b.pk]}).status_code == 403
    assert not GroupMembership.objects.filter(group=group, user=org.rep_b).exists()

    client.force_login(org.manager)
    client.post(members, {"members": [org.rep_b.pk, org.rep2.pk]})
    assert set(group.members.values_list("username", flat=True)) == {
        "manager", "rep", "rep_b", "rep2"
    }  # fmt: skip
    client.post(members, {"remove": org.rep2.pk})
    assert not group.members.filter(pk=org.rep2.pk).exists()
    client.post(members, {"remove": org.manager.pk})  # the last owner stays
    assert client.post(members, {"remove": "x"}).status_code == 404
    assert group.members.filter(pk=org.manager.pk).exists()


def test_who_may_create_a_group(org, client):
    client.force_login(org.rep)
    assert client.post("/knowledge/groups/add/", {"name": "x"}).status_code == 403
    client.force_login(org.manager)
    response = client.post("/knowledge/groups/add/", {"name": "新组", "members": [org.rep.pk]})
    group = DiscussionGroup.objects.get(name="新组")
    assert response.status_code == 302
    assert dict(group.memberships.values_list("user__username", "role")) == {
        "manager": "owner",
        "rep": "member",
    }


def test_a_topic_about_any_record_is_read_by_whoever_sees_the_record(org):
    """How a deal's discussion uses the same models: the app registers its
    model as a subject; the record's scope decides who reads the topic."""
    customer = make_customer(org.rep, name="宁波瑞丰物流有限公司")
    with pytest.raises(ValidationError):
        topic_start(by=org.rep, subject=customer, title="x", body="y")  # not registered

    discussion_subjects.register(Customer)
    try:
        topic = topic_start(by=org.rep, subject=customer, title="报价策略", body="先报标准价")
        assert topic.subject == customer and topic.group is None
        assert list(subject_topics(user=org.manager, obj=customer)) == [topic]  # department
        assert access_topic(user=org.branch_mgr, pk=topic.pk) == topic  # branch
        with pytest.raises(Http404):
            access_topic(user=org.rep2, pk=topic.pk)  # South China
        assert list(subject_topics(user=org.rep2, obj=customer)) == []
        assert [p.body for p in search_posts(user=org.rep, query="标准价")] == ["先报标准价"]
        assert list(search_posts(user=org.rep2, query="标准价")) == []
    finally:
        discussion_subjects.unregister(Customer)


def test_a_topic_has_a_group_or_a_subject_never_both(org, group):
    from django.db import IntegrityError, transaction

    with transaction.atomic(), pytest.raises(IntegrityError):
        Topic.objects.create(title="孤儿", author=org.rep)


def test_group_pages_query_counts_do_not_grow(
    org, client, group, django_assert_max_num_queries, django_assert_num_queries
):
    topic = group.topics.get()
    client.force_login(org.rep)
    pages = ["/knowledge/groups/", group_url(group), topic_url(topic)]
    counts = []
    for url in pages:
        client.get(url)
        with django_assert_max_num_queries(14) as captured:
            client.get(url)
        counts.append(len(captured))
    for index in range(6):
        other = group_create(by=org.manager, name=f"组{index}", members=[org.rep])
        topic_start(by=org.rep, group=other, title=f"话题{index}", body="内容")
        extra = topic_start(by=org.rep, group=group, title=f"新话题{index}", body="内容")
        post_create(topic=topic, by=org.manager, body=f"回复{index}")
        post_create(topic=extra, by=org.manager, body="回复")
        group.memberships.get_or_create(user=org.rep_b)
    for url, count in zip(pages, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(url).status_code == 200


@pytest.fixture
def customer_subject(org):
    discussion_subjects.register(Customer)
    yield make_customer(org.rep, name="宁波瑞丰物流有限公司")
    discussion_subjects.unregister(Customer)


def about_url(obj):
    from django.contrib.contenttypes.models import ContentType

    content_type = ContentType.objects.get_for_model(type(obj))
    return reverse(
        "knowledge:groups:about", kwargs={"content_type_id": content_type.pk, "object_id": obj.pk}
    )


def test_a_topic_is_started_from_a_records_page_by_who_sees_it(org, client, customer_subject):
    url = about_url(customer_subject)
    client.force_login(org.rep2)  # South China: does not see the customer
    assert client.get(url).status_code == 404
    assert client.post(url, {"title": "偷看", "body": "x"}).status_code == 404
    assert not Topic.objects.exists()

    client.force_login(org.rep)
    response = client.post(url, {"title": "报价策略", "body": "先报标准价"})
    topic = Topic.objects.get()
    assert response.status_code == 302 and response["Location"] == topic_url(topic)
    assert (topic.subject, topic.post_count) == (customer_subject, 1)
    assert client.get(url)["Location"] == customer_subject.get_absolute_url()
    page = client.get(topic_url(topic)).content.decode()
    assert f'href="{customer_subject.get_absolute_url()}#discussion"' in page


def test_records_of_an_unregistered_kind_have_no_discussion(org, client):
    customer = make_customer(org.rep)
    client.force_login(org.rep)
    assert client.post(about_url(customer), {"title": "x", "body": "y"}).status_code == 404
    assert not Topic.objects.exists()


def test_the_discussion_panel_of_a_record(org, rf, customer_subject):
    from django.template.loader import render_to_string

    from knowledge.discussions import subject_discussion_panel

    topic_start(by=org.rep, subject=customer_subject, title="报价策略", body="先报标准价")
    request = rf.get("/")
    request.user = org.manager
    panel = {"key": "discussion", **subject_discussion_panel(request, customer_subject)}
    assert [t.title for t in panel["topics"]] == ["报价策略"]
    html = render_to_string("knowledge/panels/subject_discussion.html", {"panel": panel})
    assert "报价策略" in html and panel["start_url"] in html

    request.user = org.rep2
    assert subject_discussion_panel(request, customer_subject)["topics"] == []

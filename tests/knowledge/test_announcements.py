"""ORG-5: HQ announcements to all branches or chosen ones, read receipts,
the header counter and the start-page card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from knowledge.models import Announcement, AnnouncementReceipt
from knowledge.selectors import (
    announcement_receipts_by_branch,
    unread_announcement_count,
)
from knowledge.services import announcement_publish

pytestmark = pytest.mark.django_db
BADGE = "/knowledge/announcements/badge/"


@pytest.fixture
def notices(org):
    to_all = announcement_publish(by=org.executive, title="启用新版系统", body="<div>请登录</div>")
    to_east = announcement_publish(
        by=org.executive,
        title="华东冲刺",
        body="<div>每周五评审</div>",
        to_all_branches=False,
        branches=[org.east],
    )
    return to_all, to_east


def url(announcement, name="detail"):
    return reverse(f"knowledge:announcements:{name}", kwargs={"pk": announcement.pk})


def test_an_announcement_to_one_branch_is_404_elsewhere(org, client, notices):
    to_all, to_east = notices
    client.force_login(org.rep2)  # South China
    assert client.get(url(to_east)).status_code == 404
    assert client.get(url(to_east, "receipts")).status_code == 404
    assert "华东冲刺" not in client.get("/knowledge/announcements/").content.decode()
    assert unread_announcement_count(org.rep2) == 1
    assert not AnnouncementReceipt.objects.exists()
    assert client.get(url(to_all)).status_code == 200


def test_reading_writes_one_receipt_and_the_counter_goes_down(org, client, notices):
    to_all, to_east = notices
    client.force_login(org.rep)
    badge = client.get(BADGE)
    assert badge.context["unread"] == 2
    assert 'data-testid="announcement-badge"' in badge.content.decode()

    client.get(url(to_east))
    client.get(url(to_east))
    receipt = AnnouncementReceipt.objects.get()
    assert (receipt.user, receipt.announcement, receipt.branch) == (org.rep, to_east, org.east)
    assert client.get(BADGE).context["unread"] == 1
    home = client.get(reverse("today:index"))
    panel = next(p for p in home.context["panels"] if p["key"] == "announcements")
    assert [a.title for a in panel["announcements"]] == ["启用新版系统"]
    assert 'data-testid="today-announcement"' in home.content.decode()


def test_the_badge_costs_one_query(org, client, notices, django_assert_num_queries):
    client.force_login(org.rep)
    client.get(BADGE)  # the first request of a session stores its language
    with django_assert_num_queries(3):  # session, user, the count
        client.get(BADGE)


def test_the_header_loads_the_counter_as_a_turbo_frame(org, client, notices):
    client.force_login(org.rep)
    page = client.get("/knowledge/announcements/").content.decode()
    assert f'<turbo-frame id="crm-header-announcements" src="{BADGE}" target="_top">' in page


def test_receipts_per_branch_for_the_author_and_senders_only(org, client, notices):
    to_all, to_east = notices
    for user in (org.rep, org.manager, org.rep2):
        client.force_login(user)
        client.get(url(to_all))

    rows = {r["branch"].code: (r["read"], r["staff"]) for r in announcement_receipts_by_branch(
        announcement=to_all)}  # fmt: skip
    assert rows == {"hq": (0, 1), "east": (2, 7), "south": (1, 1)}
    rows = [r["branch"].code for r in announcement_receipts_by_branch(announcement=to_east)]
    assert rows == ["east"]

    client.force_login(org.rep)
    assert client.get(url(to_all, "receipts")).status_code == 403
    client.force_login(org.executive)
    response = client.get(url(to_all, "receipts"))
    assert response.status_code == 200
    assert len(response.context["readers"].object_list) == 3


def test_who_may_publish(org, client):
    add = "/knowledge/announcements/add/"
    client.force_login(org.branch_mgr)
    assert client.post(add, {"title": "x", "body": "y", "to_all_branches": "on"}).status_code == 403
    client.force_login(org.executive)
    response = client.post(add, {"title": "通知", "body": "<div>内容</div>"})  # no branch chosen
    assert response.status_code == 200 and "branches" in response.context["form"].errors
    assert not Announcement.objects.exists()
    response = client.post(
        add, {"title": "华南通知", "body": "<div>内容<script>x()</script></div>",
              "branches": [org.south.pk]}
    )  # fmt: skip
    notice = Announcement.objects.get()
    assert response.status_code == 302
    assert list(notice.branches.all()) == [org.south] and "script" not in notice.body


def test_list_and_receipts_query_counts_do_not_grow(
    org, client, notices, django_assert_max_num_queries, django_assert_num_queries
):
    client.force_login(org.rep_team2)
    client.get(url(notices[0]))  # one reader to begin with
    client.force_login(org.executive)
    pages = ["/knowledge/announcements/", url(notices[0], "receipts")]
    counts = []
    for page in pages:
        client.get(page)
        with django_assert_max_num_queries(12) as captured:
            client.get(page)
        counts.append(len(captured))
    for index in range(5):
        announcement_publish(
            by=org.executive, title=f"通知{index}", body="<div>x</div>",
            to_all_branches=False, branches=[org.east, org.south],
        )  # fmt: skip
    for user in (org.rep, org.rep_b, org.manager, org.rep2):
        client.force_login(user)
        client.get(url(notices[0]))
    client.force_login(org.executive)
    client.get(pages[0])  # the first request of a session stores its language
    for page, count in zip(pages, counts, strict=True):
        with django_assert_num_queries(count):
            assert client.get(page).status_code == 200

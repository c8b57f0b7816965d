"""Seeing a deal is not acting on it (issue 17, OPP-6): a team member from
another branch sees the deal, takes part in its work records, to-dos and
discussion, but may neither work it (unless a co-seller or sponsor) nor take
it; every action answers 403 before reading its form, and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from projects.deals.services import member_add
from projects.models import Comment, Opportunity, OpportunityMember, Todo
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

#: Every action that works the deal or decides who owns it, with a GET of
#: the forms that have one.
WORK_ACTIONS = [
    "move",
    "member_add",
    "member_remove",
    "partner_add",
    "partner_remove",
    "plan_item",
    "product_add",
    "product_remove",
    "evaluate",
    "reassign",
    "release",
]


def action_url(deal, name):
    return reverse(f"projects:opportunity:{name}", kwargs={"pk": deal.pk})


@pytest.fixture
def deal(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer, title="智慧园区一期")
    member_add(opportunity=deal, user=org.rep2, role="presales", by=org.rep)  # South branch
    member_add(opportunity=deal, user=org.rep_b, role="sales", by=org.rep)  # co-seller
    return deal


def snapshot(deal):
    fresh = Opportunity.objects.get(pk=deal.pk)
    return (
        fresh.owner_id,
        fresh.stage_id,
        sorted(OpportunityMember.objects.filter(opportunity=deal).values_list("user", "role")),
    )


@pytest.mark.parametrize("action", WORK_ACTIONS)
def test_a_presales_member_from_another_branch_may_not_act(client, org, stages, deal, action):
    before = snapshot(deal)
    client.force_login(org.rep2)
    assert (
        client.get(reverse("projects:opportunity:detail", kwargs={"pk": deal.pk})).status_code
        == 200
    )

    data = {
        "move-to_stage": stages["solution"].pk,
        "member-user": org.rep2.pk,
        "member-role": "sales",
        "user": org.rep_b.pk,
        "reassign-owner": org.rep2.pk,
    }
    response = client.post(action_url(deal, action), data)

    assert response.status_code == 403
    assert snapshot(deal) == before


def test_the_edit_form_and_the_board_refuse_the_member_too(client, org, stages, deal):
    before = snapshot(deal)
    client.force_login(org.rep2)
    edit = reverse("projects:opportunity:change", kwargs={"pk": deal.pk})
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"title": "改名"}).status_code == 403
    board = reverse("projects:board:move", kwargs={"pk": deal.pk})
    assert client.post(board, {"stage": stages["solution"].pk}).status_code == 403
    assert snapshot(deal) == before


def test_the_member_takes_part_in_the_discussion_and_to_dos(client, org, deal):
    client.force_login(org.rep2)
    client.post(action_url(deal, "comment_add"), {"comment-body": "方案已准备"})
    client.post(
        action_url(deal, "todo_add"),
        {"todo-title": "现场勘查", "todo-due_date": date(2030, 1, 1), "todo-assignee": org.rep2.pk},
    )
    assert Comment.objects.filter(opportunity=deal, author=org.rep2).exists()
    assert Todo.objects.filter(opportunity=deal, title="现场勘查").exists()


def test_the_member_sees_no_buttons_that_would_be_refused(client, org, deal):
    client.force_login(org.rep2)
    page = client.get(reverse("projects:opportunity:detail", kwargs={"pk": deal.pk})).content
    for name in ("move", "release", "member_add"):
        assert action_url(deal, name).encode() not in page


def test_a_co_seller_works_the_deal_but_may_not_take_it(client, org, stages, deal):
    client.force_login(org.rep_b)
    response = client.post(action_url(deal, "move"), {"move-to_stage": stages["solution"].pk})
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).stage == stages["solution"]
    for action in ("release", "reassign"):
        assert client.post(action_url(deal, action), {}).status_code == 403
    assert Opportunity.objects.get(pk=deal.pk).owner == org.rep


@pytest.mark.parametrize("username", ["rep", "manager"])
def test_the_owner_and_the_manager_in_scope_may_release(client, org, deal, username):
    client.force_login(getattr(org, username))
    assert client.post(action_url(deal, "release"), {}).status_code == 302
    assert Opportunity.objects.get(pk=deal.pk).owner is None

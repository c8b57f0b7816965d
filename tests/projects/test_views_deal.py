"""The deal workspace (OPP-5..7, OPP-9): one page, scoped, constant query
count; every action through a service, refused input changes nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import CustomerType, FollowUp
from projects.deals.services import (
    comment_add,
    deal_follow_up_create,
    evaluation_submit,
    member_add,
    opportunity_move,
    partner_add,
    plan_item_save,
    product_line_save,
    todo_create,
)
from projects.models import (
    Comment,
    Evaluation,
    Opportunity,
    OpportunityMember,
    OpportunityPartner,
    OpportunityProduct,
    Product,
    Question,
    Stage,
    StageEvent,
    StagePlan,
    Todo,
)
from tests.factories import make_contact, make_customer, make_opportunity

pytestmark = pytest.mark.django_db


def page_url(deal):
    return reverse("projects:opportunity:detail", kwargs={"pk": deal.pk})


def action_url(deal, name):
    return reverse(f"projects:opportunity:{name}", kwargs={"pk": deal.pk})


@pytest.fixture
def deal(org, stages, rep_customer):
    return make_opportunity(org.rep, customer=rep_customer, title="智慧园区一期")


@pytest.fixture
def product(db):
    return Product.objects.create(
        code="SRV-1", name="服务器", unit="台", list_price=Decimal("5000")
    )


def snapshot(deal):
    """What a refused action must leave untouched."""
    deal.refresh_from_db()
    return (
        deal.stage_id,
        deal.status,
        deal.loss_reason_id,
        deal.history.count(),
        StageEvent.objects.filter(opportunity=deal).count(),
    )


# --- The page ---------------------------------------------------------------------


def test_page_shows_every_section(org, client, stages, deal, product):
    boss = make_contact(deal.customer, name="王总", decision_role="decider", attitude="champion")
    deal.contacts.add(boss)
    member_add(opportunity=deal, user=org.rep_b, role="presales", by=org.rep)
    plan_item_save(
        opportunity=deal,
        by=org.rep,
        name="需求调研",
        stage=stages["needs"],
        planned_start=date(2030, 1, 1),
        planned_end=date(2030, 1, 31),
        actual_start=date(2030, 1, 3),
    )
    product_line_save(opportunity=deal, product=product, quantity=2, by=org.rep)
    client.force_login(org.rep)

    response = client.get(page_url(deal))

    page = response.content.decode()
    assert response.status_code == 200
    for panel in (
        "summary",
        "stage",
        "team",
        "key-contacts",
        "plan",
        "work",
        "todos",
        "discussion",
        "attachments",
        "products",
        "qualification",
        "events",
        "history",
    ):
        assert f'data-panel="{panel}"' in page, panel
    assert 'data-stage="lead" data-kind="open" data-state="current"' in page
    assert 'data-stage="needs" data-kind="open" data-state="ahead"' in page
    assert 'data-stage="won" data-kind="won" data-state="ahead"' in page
    assert "王总" in page and "Decider" in page and "Champion" in page
    assert "<crm-plotly" in page and "plotly.min.js" in page  # the Gantt chart
    assert 'data-testid="stage-flow"' in page and "需求调研" in page
    # The placeholder gave way to the attachments card (crm.attachments), a lazy frame.
    assert f'src="/attachments/projects.opportunity/{deal.pk}/"' in page
    assert "10,000.00" in page  # 2 × 5,000
    assert "<script>" not in page  # CSP: no inline scripts


def test_page_is_404_outside_the_scope_and_open_to_team_members(org, client, deal):
    client.force_login(org.rep2)
    assert client.get(page_url(deal)).status_code == 404
    member_add(opportunity=deal, user=org.rep2, role="technical", by=org.rep)
    assert client.get(page_url(deal)).status_code == 200


def test_secretary_sees_the_page_without_the_forms(org, client, deal):
    client.force_login(org.secretary)
    page = client.get(page_url(deal)).content.decode()
    assert 'data-testid="move-form"' not in page
    assert 'data-testid="member-form"' not in page
    assert action_url(deal, "change").replace("/move/", "") not in page
    assert 'data-testid="comment-form"' in page  # everybody who sees it may discuss


def _grow(deal, org, stages, n):
    """Add ``n`` of everything the page lists."""
    customer = deal.customer
    questions = list(Question.objects.filter(process=deal.process).prefetch_related("options"))
    answers = {q.pk: q.options.all()[0].pk for q in questions}
    for i in range(n):
        contact = make_contact(customer, decision_role="influencer")
        deal.contacts.add(contact)
        colleague = [org.rep_b, org.manager, org.sub_rep, org.rep_team2][i % 4]
        member_add(opportunity=deal, user=colleague, role="presales", by=org.rep)
        partner = make_customer(org.rep, type=CustomerType.PARTNER)
        partner_add(opportunity=deal, partner=partner, role="integrator", by=org.rep)
        target = stages["needs"] if i % 2 == 0 else stages["lead"]
        opportunity_move(opportunity=deal, to_stage=target, by=org.rep)
        deal_follow_up_create(
            opportunity=deal,
            by=org.rep,
            contacts=[contact],
            kind="call",
            occurred_at=timezone.now(),
            subject=f"电话{i}",
        )
        todo = todo_create(
            opportunity=deal, by=org.rep, title=f"待办{i}", due_date=timezone.localdate()
        )
        if i % 2:
            from projects.deals.services import todo_complete

            todo_complete(todo=todo, by=org.rep)
        comment_add(opportunity=deal, by=org.rep, body=f"留言{i}")
        plan_item_save(
            opportunity=deal,
            by=org.rep,
            name=f"步骤{i}",
            stage=stages["solution"],
            planned_start=date(2030, 1, 1) + timedelta(days=i),
            planned_end=date(2030, 1, 10) + timedelta(days=i),
        )
        product = Product.objects.create(code=f"P{deal.pk}-{n}-{i}", name=f"产品{i}", list_price=10)
        product_line_save(opportunity=deal, product=product, quantity=1, by=org.rep)
        evaluation_submit(opportunity=deal, by=org.rep, answers=answers)


def test_query_count_is_constant(org, client, stages, deal, django_assert_num_queries):
    _grow(deal, org, stages, 1)
    client.force_login(org.rep)
    client.get(page_url(deal))  # first request of the session
    with django_assert_num_queries(35):
        client.get(page_url(deal))

    _grow(deal, org, stages, 6)

    with django_assert_num_queries(35):
        response = client.get(page_url(deal))
    assert response.status_code == 200
    ws = response.context["ws"]
    assert len(ws.members) == 4 and len(ws.partners) == 7
    assert len(ws.events) == 7 and len(ws.follow_ups) == 7 and len(ws.todos) == 7
    assert len(ws.comments) == 7 and len(ws.plan_items) == 7 and len(ws.product_lines) == 7
    assert len(ws.evaluations) == 7 and len(ws.key_contacts) == 7


# --- Moving the stage ---------------------------------------------------------------


def test_move_writes_an_event(org, client, stages, deal):
    client.force_login(org.rep)
    response = client.post(
        action_url(deal, "move"), {"move-to_stage": stages["solution"].pk, "move-note": "方案会"}
    )
    assert response.status_code == 302 and response.url == page_url(deal) + "#stage"
    deal.refresh_from_db()
    assert deal.stage == stages["solution"] and deal.probability == 40
    event = StageEvent.objects.filter(opportunity=deal).latest("at", "id")
    assert (event.from_stage, event.to_stage, event.by, event.note) == (
        stages["lead"],
        stages["solution"],
        org.rep,
        "方案会",
    )


def test_lost_without_a_reason_is_refused_with_a_message(org, client, stages, deal):
    client.force_login(org.rep)
    before = snapshot(deal)
    response = client.post(action_url(deal, "move"), {"move-to_stage": stages["lost"].pk})
    assert response.status_code == 400
    assert "Choose why the deal was lost." in response.content.decode()
    assert snapshot(deal) == before


def test_lost_with_a_reason_closes_and_reopen_brings_it_back(
    org, client, stages, deal, loss_reason
):
    client.force_login(org.rep)
    client.post(
        action_url(deal, "move"),
        {"move-to_stage": stages["lost"].pk, "move-loss_reason": loss_reason.pk},
    )
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason) == (Stage.Kind.LOST, loss_reason)
    page = client.get(page_url(deal)).content.decode()
    assert "Reopen into" in page and 'data-state="current"' in page

    # Closing a closed deal another way is not offered; posting it is refused.
    before = snapshot(deal)
    response = client.post(action_url(deal, "move"), {"move-to_stage": stages["won"].pk})
    assert response.status_code == 400 and snapshot(deal) == before

    client.post(action_url(deal, "move"), {"move-to_stage": stages["needs"].pk})
    deal.refresh_from_db()
    assert (deal.status, deal.stage, deal.loss_reason) == ("open", stages["needs"], None)


def test_a_stage_of_another_process_is_refused(org, client, processes, deal):
    other = Stage.objects.filter(process=processes["standard"], kind="open").first()
    client.force_login(org.rep)
    before = snapshot(deal)
    response = client.post(action_url(deal, "move"), {"move-to_stage": other.pk})
    assert response.status_code == 400
    assert snapshot(deal) == before


def test_move_outside_the_scope_is_404_and_without_permission_403(org, client, stages, deal):
    before = snapshot(deal)
    client.force_login(org.rep2)
    assert (
        client.post(action_url(deal, "move"), {"move-to_stage": stages["needs"].pk}).status_code
        == 404
    )
    client.force_login(org.secretary)
    assert (
        client.post(action_url(deal, "move"), {"move-to_stage": stages["needs"].pk}).status_code
        == 403
    )
    assert snapshot(deal) == before


# --- Team, partners, plan, work -------------------------------------------------------


def test_team_members_are_added_and_removed(org, client, deal):
    client.force_login(org.rep)
    client.post(
        action_url(deal, "member_add"), {"member-user": org.rep2.pk, "member-role": "technical"}
    )
    assert OpportunityMember.objects.get(opportunity=deal).user == org.rep2
    assert "Technical support" in client.get(page_url(deal)).content.decode()
    client.post(action_url(deal, "member_remove"), {"user": org.rep2.pk})
    assert not OpportunityMember.objects.filter(opportunity=deal).exists()
    response = client.post(
        action_url(deal, "member_add"), {"member-user": org.rep2.pk, "member-role": "boss"}
    )
    assert response.status_code == 400
    assert not OpportunityMember.objects.exists()


def test_partners_must_be_partner_companies_the_user_sees(org, client, deal):
    partner = make_customer(org.rep, name="集成商甲", type=CustomerType.PARTNER)
    end_customer = make_customer(org.rep, name="普通客户")
    hidden_partner = make_customer(org.rep2, name="华南集成商", type=CustomerType.PARTNER)
    client.force_login(org.rep)

    for refused in (end_customer, hidden_partner):
        response = client.post(
            action_url(deal, "partner_add"),
            {"partner-partner": refused.pk, "partner-role": "integrator"},
        )
        assert response.status_code == 400
    assert not OpportunityPartner.objects.exists()

    client.post(
        action_url(deal, "partner_add"),
        {"partner-partner": partner.pk, "partner-role": "integrator", "partner-note": "总包"},
    )
    link = OpportunityPartner.objects.get()
    assert (link.partner, link.role, link.note) == (partner, "integrator", "总包")
    client.post(action_url(deal, "partner_remove"), {"partner": partner.pk})
    assert not OpportunityPartner.objects.exists()


def test_plan_steps_are_added_edited_and_checked(org, client, stages, deal):
    client.force_login(org.rep)
    url = action_url(deal, "plan_item")
    response = client.post(
        url,
        {
            "plan-stage": stages["solution"].pk,
            "plan-name": "方案设计",
            "plan-order": 1,
            "plan-planned_start": "2030-02-01",
            "plan-planned_end": "2030-01-01",
        },
    )
    assert response.status_code == 400
    assert "The planned end is before the planned start." in response.content.decode()
    assert not StagePlan.objects.exists()

    client.post(
        url,
        {
            "plan-stage": stages["solution"].pk,
            "plan-name": "方案设计",
            "plan-order": 1,
            "plan-planned_start": "2030-01-01",
            "plan-planned_end": "2030-02-01",
        },
    )
    item = StagePlan.objects.get()
    edit = client.get(url, {"item": item.pk})
    assert edit.status_code == 200 and "方案设计" in edit.content.decode()
    client.post(
        url,
        {
            "plan-item": item.pk,
            "plan-name": "方案设计与评审",
            "plan-order": 1,
            "plan-planned_start": "2030-01-01",
            "plan-planned_end": "2030-02-01",
            "plan-actual_start": "2030-01-05",
        },
    )
    item.refresh_from_db()
    assert (item.name, item.actual_start, item.stage) == ("方案设计与评审", date(2030, 1, 5), None)

    other = make_opportunity(org.rep)
    other_item = plan_item_save(
        opportunity=other,
        by=org.rep,
        name="别的",
        planned_start=date(2030, 1, 1),
        planned_end=date(2030, 1, 2),
    )
    assert client.get(url, {"item": other_item.pk}).status_code == 404
    assert client.post(url, {"plan-item": other_item.pk, "plan-name": "改"}).status_code == 404


def test_work_record_is_a_follow_up_linked_to_the_deal(org, client, deal):
    boss = make_contact(deal.customer, name="王总")
    client.force_login(org.rep)
    response = client.post(
        action_url(deal, "follow_up_add"),
        {
            "fu-kind": "visit",
            "fu-occurred_at": "2030-01-02T10:00",
            "fu-contacts": [boss.pk],
            "fu-subject": "现场勘查",
        },
    )
    assert response.status_code == 302
    follow_up = FollowUp.objects.get()
    assert list(follow_up.opportunities.all()) == [deal]
    assert (follow_up.customer, follow_up.owner) == (deal.customer, org.rep)
    assert "现场勘查" in client.get(page_url(deal)).content.decode()

    response = client.post(action_url(deal, "follow_up_add"), {"fu-kind": "visit"})
    assert response.status_code == 400 and FollowUp.objects.count() == 1


def test_todos_are_added_to_the_team_and_completed(org, client, deal):
    member_add(opportunity=deal, user=org.rep_b, role="presales", by=org.rep)
    client.force_login(org.rep)
    client.post(
        action_url(deal, "todo_add"),
        {"todo-title": "准备标书", "todo-due_date": "2030-03-01", "todo-assignee": org.rep_b.pk},
    )
    todo = Todo.objects.get()
    assert (todo.assignee, todo.created_by, todo.due_date) == (org.rep_b, org.rep, date(2030, 3, 1))
    refused = client.post(
        action_url(deal, "todo_add"),
        {"todo-title": "给外人", "todo-due_date": "2030-03-01", "todo-assignee": org.rep2.pk},
    )
    assert refused.status_code == 400 and Todo.objects.count() == 1

    client.post(action_url(deal, "todo_done"), {"todo": todo.pk})
    todo.refresh_from_db()
    assert todo.is_done
    other_todo = todo_create(
        opportunity=make_opportunity(org.rep), by=org.rep, title="别处", due_date=date(2030, 1, 1)
    )
    assert client.post(action_url(deal, "todo_done"), {"todo": other_todo.pk}).status_code == 404


def test_discussion_takes_messages_from_whoever_sees_the_deal(org, client, deal):
    client.force_login(org.secretary)
    client.post(action_url(deal, "comment_add"), {"comment-body": "合同模板已更新"})
    assert Comment.objects.get().author == org.secretary
    assert client.post(action_url(deal, "comment_add"), {"comment-body": "   "}).status_code == 400
    client.force_login(org.rep2)
    assert client.post(action_url(deal, "comment_add"), {"comment-body": "外人"}).status_code == 404
    assert Comment.objects.count() == 1


def test_product_lines(org, client, deal, product):
    client.force_login(org.rep)
    client.post(
        action_url(deal, "product_add"), {"product-product": product.pk, "product-quantity": "3"}
    )
    line = OpportunityProduct.objects.get()
    assert (line.quantity, line.unit_price) == (3, Decimal("5000"))
    refused = client.post(
        action_url(deal, "product_add"), {"product-product": product.pk, "product-quantity": "0"}
    )
    assert refused.status_code == 400
    line.refresh_from_db()
    assert line.quantity == 3
    client.post(action_url(deal, "product_remove"), {"product": product.pk})
    assert not OpportunityProduct.objects.exists()


def test_qualification_form_scores_and_keeps_earlier_evaluations(org, client, deal):
    questions = list(Question.objects.filter(process=deal.process).prefetch_related("options"))
    client.force_login(org.rep)
    partial = {f"q-q{questions[0].pk}": questions[0].options.all()[0].pk}
    assert client.post(action_url(deal, "evaluate"), partial).status_code == 400
    assert not Evaluation.objects.exists()

    best = {f"q-q{q.pk}": max(q.options.all(), key=lambda o: o.points).pk for q in questions}
    worst = {f"q-q{q.pk}": min(q.options.all(), key=lambda o: o.points).pk for q in questions}
    client.post(action_url(deal, "evaluate"), best)
    client.post(action_url(deal, "evaluate"), worst)
    deal.refresh_from_db()
    assert (deal.score, deal.grade) == (0, "D")
    page = client.get(page_url(deal)).content.decode()
    assert "Score 0, grade D" in page
    assert Evaluation.objects.filter(opportunity=deal).count() == 2


def test_managers_reassign_and_reps_may_not(org, client, deal):
    url = action_url(deal, "reassign")
    client.force_login(org.rep)
    assert client.post(url, {"reassign-owner": org.rep_b.pk}).status_code == 403
    client.force_login(org.manager)
    assert 'data-testid="reassign-form"' in client.get(page_url(deal)).content.decode()
    refused = client.post(url, {"reassign-owner": org.rep2.pk})  # outside the manager's scope
    assert refused.status_code == 400
    deal.refresh_from_db()
    assert deal.owner == org.rep
    client.post(url, {"reassign-owner": org.rep_b.pk, "reassign-reason": "调整分工"})
    deal.refresh_from_db()
    assert deal.owner == org.rep_b
    assert deal.history.first().history_change_reason == "调整分工"


def test_release_puts_the_deal_back_into_the_pool(org, client, deal):
    client.force_login(org.rep)
    response = client.post(action_url(deal, "release"))
    deal.refresh_from_db()
    assert deal.owner is None
    assert response.url == reverse("projects:pool:index")  # the rep no longer sees it
    assert Opportunity.objects.pool_for(org.rep).filter(pk=deal.pk).exists()


def test_gantt_bars_start_at_the_dates_and_last_whole_days(org, stages, deal):
    from projects.deals.charts import (
        DAY_MS,
        gantt_figure,
        stage_flow,
    )

    planned = plan_item_save(
        opportunity=deal,
        by=org.rep,
        name="方案",
        planned_start=date(2030, 1, 1),
        planned_end=date(2030, 1, 10),
        actual_start=date(2030, 1, 3),
        actual_end=date(2030, 1, 4),
    )
    running = plan_item_save(
        opportunity=deal,
        by=org.rep,
        name="投标",
        planned_start=date(2030, 1, 11),
        planned_end=date(2030, 1, 20),
        actual_start=date(2030, 1, 12),
    )
    waiting = plan_item_save(
        opportunity=deal,
        by=org.rep,
        name="谈判",
        planned_start=date(2030, 2, 1),
        planned_end=date(2030, 2, 1),
    )
    items = [planned, running, waiting]
    today = date(2030, 1, 15)

    plan, actual = gantt_figure(items, today=today).data

    assert list(plan.y) == ["1. 方案", "2. 投标", "3. 谈判"]
    assert list(plan.base) == ["2030-01-01T00:00:00", "2030-01-11T00:00:00", "2030-02-01T00:00:00"]
    assert list(plan.x) == [10 * DAY_MS, 10 * DAY_MS, DAY_MS]
    assert list(actual.y) == ["1. 方案", "2. 投标"]
    assert list(actual.x) == [2 * DAY_MS, 4 * DAY_MS]  # the running step runs to today
    assert [s.state for s in stage_flow(items, today=today)] == ["done", "active", "planned"]
    assert [s.state for s in stage_flow(items, today=date(2030, 1, 25))][1] == "late"


def test_the_page_reads_in_chinese(org, deal, client):
    from django.test import Client

    chinese = Client(headers={"accept-language": "zh-hans"})
    chinese.force_login(org.rep)
    response = chinese.get(page_url(deal))
    assert response.status_code == 200
    page = response.content.decode()
    assert "线索确认" in page and "Lead qualification" not in page

"""Opportunity pages: the list, the create and edit forms, the customer
page's deals, the start-page cards and the one-box search (OPP-1, ANA-4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.search import search_providers
from projects.deals.services import (
    opportunity_close,
    opportunity_move,
    todo_create,
)
from projects.models import Opportunity, Stage, StageEvent, Todo
from tests.factories import make_contact, make_customer, make_opportunity

pytestmark = pytest.mark.django_db

LIST_URL = "/projects/opportunity/"
ADD_URL = "/projects/opportunity/add/"


def edit_url(deal):
    return reverse("projects:opportunity:change", kwargs={"pk": deal.pk})


# --- List -------------------------------------------------------------------------


def titles(response) -> list[str]:
    return [deal.title for deal in response.context["rows"]]


def test_list_shows_only_the_deals_in_scope(org, client, stages, rep_customer):
    make_opportunity(org.rep, customer=rep_customer, title="张伟的商机")
    make_opportunity(org.rep2, title="华南的商机")
    client.force_login(org.rep)

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert titles(response) == ["张伟的商机"]
    assert "华南的商机" not in response.content.decode()


def test_list_filters_and_sorts(org, client, stages, processes, rep_customer):
    today = timezone.localdate()
    next_month = (today.replace(day=1) + timedelta(days=32)).replace(day=15)
    small = make_opportunity(
        org.rep, customer=rep_customer, title="小单", expected_amount=10, expected_close_date=today
    )
    big = make_opportunity(
        org.rep,
        customer=rep_customer,
        title="大单",
        expected_amount=900,
        expected_close_date=next_month,
    )
    standard = make_opportunity(
        org.rep,
        customer=rep_customer,
        title="标准单",
        process=processes["standard"],
        expected_amount=50,
    )
    make_opportunity(org.rep_b, customer=make_customer(org.rep_b), title="同事的单")
    opportunity_move(opportunity=big, to_stage=stages["solution"], by=org.rep)
    opportunity_close(opportunity=small, outcome=Stage.Kind.WON, by=org.rep)
    client.force_login(org.manager)

    assert titles(client.get(LIST_URL, {"stage": stages["solution"].pk})) == ["大单"]
    assert titles(client.get(LIST_URL, {"process": processes["standard"].pk})) == [standard.title]
    assert titles(client.get(LIST_URL, {"status": "won"})) == ["小单"]
    assert set(titles(client.get(LIST_URL, {"owner": org.rep_b.pk}))) == {"同事的单"}
    assert titles(client.get(LIST_URL, {"close_month": next_month.strftime("%Y-%m")})) == ["大单"]
    assert titles(client.get(LIST_URL, {"q": "大"})) == ["大单"]
    by_amount = titles(client.get(LIST_URL, {"sort": "-amount", "owner": org.rep.pk}))
    assert by_amount == ["大单", "标准单", "小单"]


def test_list_refuses_a_bad_month_with_a_message(org, client, stages):
    client.force_login(org.rep)
    response = client.get(LIST_URL, {"close_month": "2024-13"})
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM." in response.content.decode()
    assert response.context["rows"] == []


def test_list_pages_and_query_count_do_not_grow(
    org, client, stages, rep_customer, django_assert_num_queries
):
    make_opportunity(org.rep, customer=rep_customer)
    client.force_login(org.rep)
    client.get(LIST_URL)
    with django_assert_num_queries(11):
        client.get(LIST_URL)
    for _ in range(30):
        make_opportunity(org.rep, customer=rep_customer)
    with django_assert_num_queries(11):
        response = client.get(LIST_URL)
    assert len(response.context["rows"]) == 25 and response.context["has_next"]
    assert response.context["count"] == 31
    second = client.get(LIST_URL, {"page": 2})
    assert len(second.context["rows"]) == 6 and not second.context["has_next"]


# --- Create and edit ------------------------------------------------------------------


def test_create_from_the_customer_page_with_key_contacts(org, client, stages, rep_customer):
    boss = make_contact(rep_customer, name="王总", decision_role="decider")
    other = make_contact(make_customer(org.rep), name="别家的人")
    client.force_login(org.rep)

    page = client.get(ADD_URL, {"customer": rep_customer.pk})
    assert page.status_code == 200
    assert page.context["form"].initial["customer"] == rep_customer.pk
    assert list(page.context["form"].fields["contacts"].queryset) == [boss]
    assert "别家的人" not in page.content.decode()

    response = client.post(
        ADD_URL,
        {
            "customer": rep_customer.pk,
            "process": stages["lead"].process_id,
            "stage": stages["needs"].pk,
            "title": "智慧园区一期",
            "expected_amount": "1200000",
            "probability": "35",
            "expected_close_date": "2030-06-30",
            "source": "referral",
            "description": "园区安防",
            "contacts": [boss.pk],
        },
    )

    deal = Opportunity.objects.get(title="智慧园区一期")
    assert response.status_code == 302 and response.url == deal.get_absolute_url()
    assert (deal.owner, deal.stage, deal.probability) == (org.rep, stages["needs"], 35)
    assert deal.expected_amount == Decimal("1200000")
    assert list(deal.contacts.all()) == [boss]
    assert list(StageEvent.objects.filter(opportunity=deal).values_list("to_stage", flat=True)) == [
        stages["needs"].pk
    ]
    # A contact of another customer is refused.
    response = client.post(
        ADD_URL,
        {
            "customer": rep_customer.pk,
            "process": stages["lead"].process_id,
            "title": "错的联系人",
            "expected_amount": "1",
            "contacts": [other.pk],
        },
    )
    assert response.status_code == 400
    assert not Opportunity.objects.filter(title="错的联系人").exists()


def test_create_refuses_bad_input_and_changes_nothing(org, client, stages, processes, rep_customer):
    client.force_login(org.rep)
    hidden = make_customer(org.rep2)
    base = {
        "customer": rep_customer.pk,
        "process": processes["complex"].pk,
        "title": "新商机",
        "expected_amount": "100",
    }
    standard_stage = Stage.objects.filter(process=processes["standard"], kind="open").first()
    cases = [
        ({"probability": "150"}, "probability"),
        ({"probability": "-1"}, "probability"),
        ({"stage": standard_stage.pk}, "stage"),
        ({"customer": hidden.pk}, "customer"),
        ({"expected_amount": "-5"}, "expected_amount"),
        ({"title": ""}, "title"),
    ]
    for change, field in cases:
        response = client.post(ADD_URL, {**base, **change})
        assert response.status_code == 400, change
        assert field in response.context["form"].errors, change
    assert "This stage belongs to another sales process." in str(
        client.post(ADD_URL, {**base, "stage": standard_stage.pk}).content.decode()
    )
    assert not Opportunity.objects.exists()
    assert client.get(ADD_URL, {"customer": hidden.pk}).status_code == 404


def test_create_needs_the_permission(org, client, stages):
    client.force_login(org.secretary)
    assert client.get(ADD_URL).status_code == 403


def test_managers_may_open_a_deal_in_the_pool(org, client, stages):
    customer = make_customer(org.manager)
    client.force_login(org.manager)
    response = client.post(
        ADD_URL,
        {
            "customer": customer.pk,
            "process": stages["lead"].process_id,
            "title": "池中商机",
            "expected_amount": "10",
            "owner": "",
        },
    )
    assert response.status_code == 302
    deal = Opportunity.objects.get(title="池中商机")
    assert deal.owner is None and deal.department == org.team1


def test_edit_changes_details_not_the_stage(org, client, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer, title="旧标题")
    client.force_login(org.rep)

    response = client.post(
        edit_url(deal),
        {
            "title": "新标题",
            "expected_amount": "500",
            "probability": "55",
            "stage": stages["negotiation"].pk,  # ignored: stages move on the deal page
        },
    )

    deal.refresh_from_db()
    assert response.status_code == 302
    assert (deal.title, deal.expected_amount, deal.probability) == ("新标题", 500, 55)
    assert deal.stage == stages["lead"]
    assert deal.history.first().history_user == org.rep

    refused = client.post(
        edit_url(deal), {"title": "x", "expected_amount": "1", "probability": 101}
    )
    assert refused.status_code == 400
    deal.refresh_from_db()
    assert deal.title == "新标题"


def test_edit_is_404_outside_the_scope_and_403_without_the_permission(org, client, stages):
    hidden = make_opportunity(org.rep2)
    client.force_login(org.rep)
    assert client.get(edit_url(hidden)).status_code == 404
    assert client.post(edit_url(hidden), {"title": "x"}).status_code == 404
    mine = make_opportunity(org.rep)
    client.force_login(org.secretary)
    assert client.get(edit_url(mine)).status_code == 403


# --- The customer page ---------------------------------------------------------------


def test_customer_page_loads_the_scoped_deals_in_a_frame(org, client, stages, rep_customer):
    make_opportunity(org.rep, customer=rep_customer, title="我的商机")
    make_opportunity(org.rep_b, customer=rep_customer, title="同事的商机")
    frame = reverse("projects:opportunity:customer_deals", kwargs={"pk": rep_customer.pk})
    client.force_login(org.rep)

    page = client.get(reverse("customers:customer:detail", kwargs={"pk": rep_customer.pk}))
    assert f'src="{frame}"' in page.content.decode()
    assert 'id="panel-opportunities"' in page.content.decode()

    deals = client.get(frame).content.decode()
    assert "我的商机" in deals and "同事的商机" not in deals
    assert f"{ADD_URL}?customer={rep_customer.pk}" in deals
    assert f'id="customer-deals-{rep_customer.pk}"' in deals

    client.force_login(org.rep2)
    assert client.get(frame).status_code == 404


# --- Start page ------------------------------------------------------------------------


def test_start_page_cards_cost_the_start_page_nothing(
    org, client, stages, django_assert_num_queries, django_assert_max_num_queries
):
    """The deal cards load in a frame: the start page's queries are the
    other apps' cards only, and the frame's own count is pinned."""
    from crm.panels import today_panels

    client.force_login(org.rep)
    client.get("/today/")
    registered = today_panels._panels.pop("deals_today")
    try:
        with django_assert_max_num_queries(100) as without:
            client.get("/today/")
    finally:
        today_panels.register(registered)
    with django_assert_num_queries(len(without)):
        client.get("/today/")

    client.get("/projects/today/")
    with django_assert_num_queries(9):
        client.get("/projects/today/")
    for n in range(12):
        deal = make_opportunity(org.rep, expected_close_date=timezone.localdate())
        todo_create(opportunity=deal, by=org.rep, title=f"事{n}", due_date=timezone.localdate())
    with django_assert_num_queries(9):
        response = client.get("/projects/today/")
    assert len(response.context["todos_panel"]["todos"]) == 10
    assert response.context["closing_panel"]["more"] is True


def test_start_page_shows_my_due_todos_rotting_and_closing_deals(org, client, stages):
    today = timezone.localdate()
    long_ago = timezone.now() - timedelta(days=40)  # lead rots after 30 days
    rotting = make_opportunity(org.rep, title="烂尾商机", at=long_ago)
    fresh = make_opportunity(org.rep, title="新鲜商机", expected_close_date=today)
    make_opportunity(org.rep, title="明年商机", expected_close_date=today + timedelta(days=400))
    make_opportunity(org.rep, title="逾期商机", expected_close_date=today - timedelta(days=40))
    make_opportunity(org.rep_b, title="同事烂尾", at=long_ago)
    todo_create(opportunity=fresh, by=org.rep, title="寄样品", due_date=today - timedelta(days=1))
    todo_create(opportunity=fresh, by=org.rep, title="下周的事", due_date=today + timedelta(days=7))
    client.force_login(org.rep)

    start_page = client.get("/today/").content.decode()
    assert 'id="today-deals" src="/projects/today/"' in start_page
    page = client.get("/projects/today/").content.decode()

    assert 'id="today-deals"' in page
    assert "寄样品" in page and "下周的事" not in page
    assert "烂尾商机" in page and "同事烂尾" not in page
    assert "新鲜商机" in page and "明年商机" not in page and "逾期商机" not in page
    assert "1 of your open deals is past its expected close date." in page
    assert rotting.get_absolute_url() in page

    todo = Todo.objects.get(title="寄样品")
    url = reverse("projects:opportunity:todo_done", kwargs={"pk": fresh.pk})
    response = client.post(url, {"todo": todo.pk, "next": "/today/"})
    assert response.status_code == 302 and response.url == "/today/"
    todo.refresh_from_db()
    assert todo.is_done


# --- Search ------------------------------------------------------------------------------


def test_search_finds_deals_by_title_within_the_scope(org, client, stages):
    mine = make_opportunity(org.rep, title="智慧园区安防项目")
    make_opportunity(org.rep2, title="智慧园区华南项目")
    provider = search_providers.get("opportunities")

    found = list(provider.queryset(user=org.rep, query="园区"))
    assert found == [mine]
    assert list(provider.queryset(user=org.rep, query="智慧 安防")) == [mine]

    client.force_login(org.rep)
    page = client.get("/search/", {"q": "园区"}).content.decode()
    assert "智慧园区安防项目" in page and "华南项目" not in page


def test_search_ranks_the_exact_title_first_and_ignores_latin_case(org, stages):
    provider = search_providers.get("opportunities")
    longer = make_opportunity(org.rep, title="ERP 替换项目二期")
    exact = make_opportunity(org.rep, title="ERP 替换项目")
    middle = make_opportunity(org.rep, title="集团 ERP 替换项目")

    assert list(provider.queryset(user=org.rep, query="ERP 替换项目")) == [exact, longer, middle]
    assert set(provider.queryset(user=org.rep, query="erp")) == {exact, longer, middle}
    assert list(provider.queryset(user=org.rep, query="不存在")) == []

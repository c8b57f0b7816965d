"""The pipeline board (OPP-8): columns with counts and sums in SQL, pages
per column, a pinned query count, and moves through HTTP that call the one
stage service (same rules, same events)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from projects.deals.selectors import CARDS_PER_COLUMN
from projects.deals.services import opportunity_move
from projects.models import Opportunity, Stage, StageEvent
from tests.factories import make_customer, make_opportunity

pytestmark = pytest.mark.django_db

BOARD = "/projects/board/"


def move_url(deal):
    return reverse("projects:board:move", kwargs={"pk": deal.pk})


def columns(response) -> dict[str, tuple[int, Decimal, list[str]]]:
    return {
        column.stage.code: (column.count, column.total, [card.title for card in column.cards])
        for column in response.context["columns"]
    }


def events(deal):
    return StageEvent.objects.filter(opportunity=deal).count()


def test_columns_show_the_open_stages_with_counts_and_sums(org, client, stages, rep_customer):
    a = make_opportunity(org.rep, customer=rep_customer, title="甲", expected_amount=300)
    make_opportunity(org.rep, customer=rep_customer, title="乙", expected_amount=200)
    c = make_opportunity(org.rep, customer=rep_customer, title="丙", expected_amount=50)
    won = make_opportunity(org.rep, customer=rep_customer, title="已赢", expected_amount=7)
    make_opportunity(org.rep2, title="华南", expected_amount=1000)
    opportunity_move(opportunity=a, to_stage=stages["solution"], by=org.rep)
    opportunity_move(opportunity=c, to_stage=stages["solution"], by=org.rep)
    opportunity_move(opportunity=won, to_stage=stages["won"], by=org.rep)
    client.force_login(org.rep)

    response = client.get(BOARD)

    assert response.status_code == 200
    assert columns(response) == {
        "lead": (1, Decimal("200"), ["乙"]),
        "needs": (0, Decimal("0"), []),
        "solution": (2, Decimal("350"), ["甲", "丙"]),
        "tender": (0, Decimal("0"), []),
        "negotiation": (0, Decimal("0"), []),
    }
    page = response.content.decode()
    assert "华南" not in page and "已赢" not in page
    assert "board.js" in page and "<crm-board" in page


def test_owner_filter_and_the_other_process(org, client, stages, processes):
    make_opportunity(org.rep, title="张的")
    make_opportunity(org.rep_b, title="刘的")
    make_opportunity(org.rep, title="标准的", process=processes["standard"])
    client.force_login(org.manager)

    everything = columns(client.get(BOARD))["lead"]
    assert sorted(everything[2]) == ["刘的", "张的"]
    assert columns(client.get(BOARD, {"owner": org.rep_b.pk}))["lead"][2] == ["刘的"]
    standard = columns(client.get(BOARD, {"process": processes["standard"].pk}))
    assert standard["contact"][2] == ["标准的"] and "lead" not in standard


def test_rotting_cards_are_marked(org, client, stages):
    make_opportunity(org.rep, title="久未推进", at=timezone.now() - timedelta(days=31))
    make_opportunity(org.rep, title="刚开始")
    client.force_login(org.rep)
    page = client.get(BOARD).content.decode()
    assert page.count("crm-deal-card--rotting") == 1
    assert page.count('data-testid="rotting"') == 1


def test_columns_are_paged_and_the_query_count_is_pinned(
    org, client, stages, rep_customer, django_assert_num_queries
):
    make_opportunity(org.rep, customer=rep_customer, expected_amount=5)
    client.force_login(org.rep)
    client.get(BOARD)
    with django_assert_num_queries(14):
        client.get(BOARD)

    for n in range(CARDS_PER_COLUMN + 5):
        deal = make_opportunity(org.rep, customer=rep_customer, expected_amount=1000 + n)
        if n % 3 == 0:
            opportunity_move(opportunity=deal, to_stage=stages["tender"], by=org.rep)

    with django_assert_num_queries(14):
        response = client.get(BOARD)
    lead = next(c for c in response.context["columns"] if c.stage.code == "lead")
    assert lead.count == 17 and len(lead.cards) == 17 and not lead.more
    total = Opportunity.objects.filter(owner=org.rep, status="open").count()
    assert sum(c.count for c in response.context["columns"]) == total == 26

    for _ in range(CARDS_PER_COLUMN):
        make_opportunity(org.rep, customer=rep_customer, expected_amount=1)
    response = client.get(BOARD)
    lead = next(c for c in response.context["columns"] if c.stage.code == "lead")
    assert lead.count == 37 and len(lead.cards) == CARDS_PER_COLUMN and lead.more
    assert 'data-testid="column-more"' in response.content.decode()
    # The biggest deals first; the next page continues where the column stopped.
    assert lead.cards[0].expected_amount == Decimal("1023")
    second = client.get(BOARD, {"stage": stages["lead"].pk, "page": 2})
    assert len(second.context["cards"]) == 17 and not second.context["has_next"]
    first_ids = {c.pk for c in lead.cards}
    assert not first_ids & {c.pk for c in second.context["cards"]}


# --- Moving a card ---------------------------------------------------------------------


def test_a_drag_and_drop_move_writes_an_event(org, client, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    client.force_login(org.rep)

    response = client.post(
        move_url(deal), {"stage": stages["tender"].pk}, headers={"accept": "application/json"}
    )

    assert response.status_code == 200
    assert response.json() == {
        "ok": True,
        "stage": stages["tender"].pk,
        "message": "Moved to Tender and quotation.",
    }
    deal.refresh_from_db()
    assert (deal.stage, deal.probability) == (stages["tender"], 60)
    event = StageEvent.objects.filter(opportunity=deal).latest("at", "id")
    assert (event.from_stage, event.to_stage, event.by) == (
        stages["lead"],
        stages["tender"],
        org.rep,
    )


def test_the_no_script_form_moves_and_comes_back_to_the_board(org, client, stages):
    deal = make_opportunity(org.rep)
    client.force_login(org.rep)
    back = f"{BOARD}?owner={org.rep.pk}"
    response = client.post(move_url(deal), {"stage": stages["needs"].pk, "next": back})
    assert response.status_code == 302 and response.url == back
    deal.refresh_from_db()
    assert deal.stage == stages["needs"]
    assert "Moved to Needs analysis." in client.get(back).content.decode()


def test_lost_without_a_reason_is_refused_and_with_one_closes(
    org, client, stages, rep_customer, loss_reason
):
    deal = make_opportunity(org.rep, customer=rep_customer)
    client.force_login(org.rep)

    response = client.post(
        move_url(deal), {"stage": stages["lost"].pk}, headers={"accept": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "Choose why the deal was lost."}
    deal.refresh_from_db()
    assert deal.stage == stages["lead"] and events(deal) == 1

    # Without the script, the same refusal comes back as a message on the board.
    response = client.post(move_url(deal), {"stage": stages["lost"].pk}, follow=True)
    assert "Choose why the deal was lost." in response.content.decode()
    assert events(deal) == 1

    client.post(
        move_url(deal),
        {"stage": stages["lost"].pk, "loss_reason": loss_reason.pk},
        headers={"accept": "application/json"},
    )
    deal.refresh_from_db()
    assert (deal.status, deal.loss_reason) == (Stage.Kind.LOST, loss_reason)
    assert events(deal) == 2


def test_bad_moves_are_refused_with_a_clear_message(org, client, processes, stages):
    deal = make_opportunity(org.rep)
    other = Stage.objects.filter(process=processes["standard"], kind="open").first()
    client.force_login(org.rep)
    json = {"accept": "application/json"}

    for data, message in (
        ({"stage": other.pk}, "This stage belongs to another sales process."),
        ({"stage": ""}, "Choose a stage to move the deal to."),
        ({"stage": 999999}, "Choose a stage to move the deal to."),
        (
            {"stage": stages["lost"].pk, "loss_reason": 999999},
            "Choose a loss reason from the list.",
        ),
    ):
        response = client.post(move_url(deal), data, headers=json)
        assert response.status_code == 400, data
        assert response.json()["error"] == message
    deal.refresh_from_db()
    assert deal.stage == stages["lead"] and events(deal) == 1


def test_a_move_outside_the_scope_is_404_and_changes_nothing(org, client, stages):
    deal = make_opportunity(org.rep2, customer=make_customer(org.rep2))
    client.force_login(org.rep)
    response = client.post(
        move_url(deal), {"stage": stages["needs"].pk}, headers={"accept": "application/json"}
    )
    assert response.status_code == 404
    deal.refresh_from_db()
    assert deal.stage == stages["lead"] and events(deal) == 1
    assert deal.history.count() == 1


def test_a_move_without_the_permission_is_403(org, client, stages):
    deal = make_opportunity(org.rep)
    client.force_login(org.secretary)  # sees the branch, may not change deals
    assert client.get(BOARD).status_code == 200
    assert 'draggable="true"' not in client.get(BOARD).content.decode()
    assert client.post(move_url(deal), {"stage": stages["needs"].pk}).status_code == 403
    assert events(deal) == 1

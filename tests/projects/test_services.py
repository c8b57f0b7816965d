"""The opportunity services: one stage service, pool, team, qualification."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from crm.handover import handover_perform
from customers.models import LifecycleStage
from projects.deals.services import (
    evaluation_submit,
    member_add,
    opportunity_assign,
    opportunity_claim,
    opportunity_close,
    opportunity_move,
    opportunity_reopen,
)
from projects.models import Evaluation, Opportunity, Question, Stage, StageEvent
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


def events(deal):
    return list(
        StageEvent.objects.filter(opportunity=deal)
        .order_by("at", "id")
        .values_list("from_stage__code", "to_stage__code", "next_stage__code")
    )


def test_opening_writes_an_event_from_no_stage(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    assert deal.stage == stages["lead"]
    assert deal.probability == stages["lead"].probability
    assert events(deal) == [(None, "lead", None)]
    rep_customer.refresh_from_db()
    assert rep_customer.lifecycle_stage == LifecycleStage.OPPORTUNITY


def test_every_move_is_an_event_and_closes_the_previous_interval(org, stages, rep_customer):
    start = timezone.now() - timedelta(days=10)
    deal = make_opportunity(org.rep, customer=rep_customer, at=start)
    opportunity_move(
        opportunity=deal, to_stage=stages["solution"], by=org.rep, at=start + timedelta(days=2)
    )
    opportunity_move(
        opportunity=deal, to_stage=stages["needs"], by=org.rep, at=start + timedelta(days=3)
    )
    assert events(deal) == [
        (None, "lead", "solution"),
        ("lead", "solution", "needs"),
        ("solution", "needs", None),
    ]
    deal.refresh_from_db()
    assert deal.stage == stages["needs"]
    assert deal.stage_entered_at == start + timedelta(days=3)
    assert StageEvent.objects.filter(opportunity=deal, left_at__isnull=True).count() == 1


def test_won_closes_the_deal_and_advances_the_customer(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    deal = opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=org.rep)
    assert deal.status == Stage.Kind.WON
    assert deal.probability == 100
    assert deal.closed_at is not None
    rep_customer.refresh_from_db()
    assert rep_customer.lifecycle_stage == LifecycleStage.CUSTOMER
    assert rep_customer.lifecycle_events.filter(to_stage=LifecycleStage.CUSTOMER).exists()


def test_lost_needs_a_reason_and_nothing_changes_without_one(
    org, stages, rep_customer, loss_reason
):
    deal = make_opportunity(org.rep, customer=rep_customer)
    with pytest.raises(ValidationError) as error:
        opportunity_close(opportunity=deal, outcome=Stage.Kind.LOST, by=org.rep)
    assert "loss_reason" in error.value.message_dict
    deal.refresh_from_db()
    assert deal.is_open
    assert StageEvent.objects.filter(opportunity=deal).count() == 1

    deal = opportunity_close(
        opportunity=deal, outcome=Stage.Kind.LOST, by=org.rep, loss_reason=loss_reason
    )
    assert (deal.status, deal.loss_reason, deal.probability) == ("lost", loss_reason, 0)


def test_reopen_and_closed_to_closed(org, stages, rep_customer, loss_reason):
    deal = make_opportunity(org.rep, customer=rep_customer)
    deal = opportunity_close(opportunity=deal, outcome=Stage.Kind.ABANDONED, by=org.rep)
    with pytest.raises(ValidationError):
        opportunity_close(opportunity=deal, outcome=Stage.Kind.WON, by=org.rep)
    with pytest.raises(ValidationError):
        opportunity_reopen(opportunity=deal, to_stage=stages["won"], by=org.rep)
    deal = opportunity_reopen(opportunity=deal, to_stage=stages["needs"], by=org.rep)
    assert deal.is_open and deal.closed_at is None
    assert [e[1] for e in events(deal)] == ["lead", "abandoned", "needs"]


def test_bad_moves_are_refused_and_change_nothing(org, processes, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    other = Stage.objects.filter(process=processes["standard"], kind="open").first()
    with pytest.raises(ValidationError):
        opportunity_move(opportunity=deal, to_stage=other, by=org.rep)
    with pytest.raises(ValidationError):
        opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep, probability=101)
    with pytest.raises(ValidationError):
        opportunity_move(
            opportunity=deal,
            to_stage=stages["needs"],
            by=org.rep,
            at=timezone.now() - timedelta(days=30),
        )
    deal.refresh_from_db()
    assert deal.stage == stages["lead"]
    assert StageEvent.objects.filter(opportunity=deal).count() == 1


def test_a_user_outside_the_scope_cannot_move_the_deal(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    with pytest.raises(Http404):
        opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep_b)
    with pytest.raises(Http404):
        opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep2)
    # A read-only role inside the scope sees it but may not change it.
    with pytest.raises(PermissionDenied):
        opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.secretary)
    assert StageEvent.objects.filter(opportunity=deal).count() == 1


def test_team_members_see_the_deal_whatever_their_scope(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    assert not Opportunity.objects.visible_to(org.rep2).filter(pk=deal.pk).exists()
    member_add(opportunity=deal, user=org.rep2, role="presales", by=org.rep)
    org.rep2.__dict__.pop("_crm_scope_extras", None)
    assert Opportunity.objects.visible_to(org.rep2).filter(pk=deal.pk).exists()


def test_pool_claim_and_assign(org, stages, rep_customer):
    pooled = make_opportunity(None, customer=rep_customer, by=org.manager)
    assert pooled.owner is None and pooled.department == org.team1
    assert Opportunity.objects.pool_for(org.rep).filter(pk=pooled.pk).exists()
    assert not Opportunity.objects.pool_for(org.rep2).exists()

    claimed = opportunity_claim(opportunity=pooled, by=org.rep)
    assert claimed.owner == org.rep
    with pytest.raises(ValidationError):
        opportunity_claim(opportunity=pooled, by=org.rep_b)

    second = make_opportunity(None, customer=rep_customer, by=org.manager)
    with pytest.raises(PermissionDenied):
        opportunity_assign(opportunity_ids=[second.pk], owner=org.rep_b, by=org.rep)
    with pytest.raises(ValidationError):
        opportunity_assign(opportunity_ids=[second.pk], owner=org.rep2, by=org.manager)
    assert (
        opportunity_assign(opportunity_ids=[second.pk, claimed.pk], owner=org.rep_b, by=org.manager)
        == 2
    )
    second.refresh_from_db()
    assert second.owner == org.rep_b
    assert second.history.count() == 2  # created, assigned


def test_handover_moves_deals(org, stages, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.manager)
    deal.refresh_from_db()
    assert deal.owner == org.rep_b


def test_evaluation_scores_grades_and_keeps_earlier_ones(org, complex_process, rep_customer):
    deal = make_opportunity(org.rep, customer=rep_customer)
    questions = list(Question.objects.filter(process=complex_process).prefetch_related("options"))
    best = {q.pk: max(q.options.all(), key=lambda o: o.points).pk for q in questions}
    worst = {q.pk: min(q.options.all(), key=lambda o: o.points).pk for q in questions}
    with pytest.raises(ValidationError):
        evaluation_submit(opportunity=deal, by=org.rep, answers=dict(list(best.items())[:1]))
    first = evaluation_submit(opportunity=deal, by=org.rep, answers=best)
    assert (first.score, first.grade) == (100, "A")
    second = evaluation_submit(opportunity=deal, by=org.rep, answers=worst)
    assert (second.score, second.grade) == (0, "D")
    deal.refresh_from_db()
    assert (deal.score, deal.grade) == (0, "D")
    assert Evaluation.objects.filter(opportunity=deal).count() == 2
    assert first.answers.count() == len(questions)


def test_product_lines_default_to_the_list_price_and_one_line_per_product(org, rep_customer):
    from decimal import Decimal

    from projects.deals.services import (
        product_line_remove,
        product_line_save,
    )
    from projects.models import OpportunityProduct, Product

    deal = make_opportunity(org.rep, customer=rep_customer)
    product = Product.objects.create(code="P-1", name="服务器", list_price=Decimal("5000"))
    retired = Product.objects.create(
        code="P-0", name="旧型号", list_price=Decimal("100"), is_active=False
    )

    line = product_line_save(opportunity=deal, product=product, quantity=2, by=org.rep)
    assert (line.quantity, line.unit_price, line.amount) == (2, Decimal("5000"), Decimal("10000"))
    line = product_line_save(
        opportunity=deal, product=product, quantity=3, unit_price=Decimal("4500"), by=org.rep
    )
    assert OpportunityProduct.objects.filter(opportunity=deal).count() == 1
    assert (line.quantity, line.unit_price) == (3, Decimal("4500"))

    with pytest.raises(ValidationError) as error:
        product_line_save(opportunity=deal, product=retired, quantity=1, by=org.rep)
    assert "product" in error.value.message_dict
    with pytest.raises(Http404):
        product_line_save(opportunity=deal, product=product, quantity=1, by=org.rep2)
    with pytest.raises(PermissionDenied):
        product_line_save(opportunity=deal, product=product, quantity=1, by=org.secretary)
    assert OpportunityProduct.objects.get(opportunity=deal).quantity == 3

    product_line_remove(opportunity=deal, product=product, by=org.rep)
    assert not OpportunityProduct.objects.filter(opportunity=deal).exists()


def test_partner_remove_needs_the_deal_in_scope(org, rep_customer):
    from customers.models import CustomerType
    from projects.deals.services import (
        partner_add,
        partner_remove,
    )
    from projects.models import OpportunityPartner
    from tests.factories import make_customer

    deal = make_opportunity(org.rep, customer=rep_customer)
    partner = make_customer(org.rep, type=CustomerType.PARTNER)
    partner_add(opportunity=deal, partner=partner, role="integrator", by=org.rep)

    with pytest.raises(Http404):
        partner_remove(opportunity=deal, partner=partner, by=org.rep2)
    assert OpportunityPartner.objects.filter(opportunity=deal).count() == 1
    partner_remove(opportunity=deal, partner=partner, by=org.rep)
    assert not OpportunityPartner.objects.filter(opportunity=deal).exists()

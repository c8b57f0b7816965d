"""Every write on competitors (CMP-1..3). Keyword-only, validated, with history.

Competitor profiles and products are company-wide reference data (their
permissions are checked by the views and the admin). Writes tied to one of
our deals or customers read it through the writer's scope first: outside it
is a 404; changing the competition on a deal needs the right to work the
deal (``projects.deals.permissions.deal_rights(...).act``), else 403.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from competitors.models import (
    CompetitiveOrder,
    Competitor,
    CompetitorProduct,
    DealCompetitor,
    PriceObservation,
)
from crm.scope import access_object
from customers.models import Customer
from projects.deals.permissions import deal_rights
from projects.models import Opportunity, Stage

CANNOT_CHANGE_DEAL = _("You may see this deal but not change its competition.")
WINNER_ONLY_WHEN_LOST = _("Only a lost deal has a competitor who won it.")
AMOUNT_POSITIVE = _("Enter an amount above zero.")
PRICE_POSITIVE = _("Enter a price above zero.")
ALREADY_ON_DEAL = _("This competitor is already on the deal.")

DEAL_FIELDS = ("quote_amount", "strategy", "threat", "notes", "won_deal")
PROFILE_FIELDS = ("name", "website", "strengths", "weaknesses", "notes", "is_active")


def _save(obj, *, by, reason: str = "") -> None:
    obj.full_clean()
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    obj.save()


def _deal_for(opportunity: Opportunity | int, by) -> Opportunity:
    """The deal locked, if ``by`` sees it (else 404) and may work it (else 403)."""
    pk = opportunity if isinstance(opportunity, int) else opportunity.pk
    queryset = Opportunity.objects.select_for_update(of=("self",))
    if by is None:
        return queryset.get(pk=pk)
    deal = access_object(queryset, user=by, pk=pk)
    if not deal_rights(by, deal).act:
        raise PermissionDenied(CANNOT_CHANGE_DEAL)
    return deal


# --- Profiles and products (CMP-1) -----------------------------------------


def competitor_create(*, by, name: str, **fields) -> Competitor:
    competitor = Competitor(name=name, **{k: v for k, v in fields.items() if k in PROFILE_FIELDS})
    _save(competitor, by=by)
    return competitor


@transaction.atomic
def competitor_update(*, competitor: Competitor, by, **fields) -> Competitor:
    locked = Competitor.objects.select_for_update().get(pk=competitor.pk)
    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(name)
        setattr(locked, name, value)
    _save(locked, by=by)
    return locked


def competitor_product_create(
    *, competitor: Competitor, name: str, by, our_product=None, description: str = ""
) -> CompetitorProduct:
    product = CompetitorProduct(
        competitor=competitor, name=name, our_product=our_product, description=description
    )
    _save(product, by=by)
    return product


@transaction.atomic
def price_observe(
    *,
    product: CompetitorProduct,
    price: Decimal,
    observed_on: date,
    by,
    source: str = "",
    opportunity: Opportunity | int | None = None,
) -> PriceObservation:
    """Record a price seen on a day; tied to a deal only if ``by`` sees it (else 404)."""
    if price is None or Decimal(price) <= 0:
        raise ValidationError({"price": PRICE_POSITIVE})
    deal_id = None
    if opportunity is not None:
        pk = opportunity if isinstance(opportunity, int) else opportunity.pk
        if by is not None:
            access_object(Opportunity, user=by, pk=pk)
        deal_id = pk
    observation = PriceObservation(
        product=product,
        price=price,
        observed_on=observed_on,
        source=source,
        opportunity_id=deal_id,
        by=by,
    )
    _save(observation, by=by)
    return observation


# --- Competition on a deal (CMP-2, OPP-9) ----------------------------------


def _check_winner(deal: Opportunity, entry: DealCompetitor, *, by) -> None:
    """A winner only on a lost deal; marking one clears any other."""
    if not entry.won_deal:
        return
    if deal.status != Stage.Kind.LOST:
        raise ValidationError({"won_deal": WINNER_ONLY_WHEN_LOST})
    for other in DealCompetitor.objects.filter(opportunity_id=deal.pk, won_deal=True).exclude(
        pk=entry.pk
    ):
        other.won_deal = False
        _save(other, by=by)


@transaction.atomic
def deal_competitor_add(
    *, opportunity: Opportunity | int, competitor: Competitor, by, **fields
) -> DealCompetitor:
    deal = _deal_for(opportunity, by)
    if DealCompetitor.objects.filter(opportunity_id=deal.pk, competitor_id=competitor.pk).exists():
        raise ValidationError({"competitor": ALREADY_ON_DEAL})
    entry = DealCompetitor(
        opportunity=deal,
        competitor=competitor,
        **{k: v for k, v in fields.items() if k in DEAL_FIELDS},
    )
    _check_winner(deal, entry, by=by)
    _save(entry, by=by)
    return entry


@transaction.atomic
def deal_competitor_update(*, entry: DealCompetitor | int, by, **fields) -> DealCompetitor:
    pk = entry if isinstance(entry, int) else entry.pk
    deal_id = DealCompetitor.objects.values_list("opportunity_id", flat=True).get(pk=pk)
    deal = _deal_for(deal_id, by)
    locked = DealCompetitor.objects.select_for_update().get(pk=pk)
    for name, value in fields.items():
        if name not in DEAL_FIELDS:
            raise ValueError(name)
        setattr(locked, name, value)
    _check_winner(deal, locked, by=by)
    _save(locked, by=by)
    return locked


@transaction.atomic
def deal_competitor_remove(*, entry: DealCompetitor | int, by) -> None:
    pk = entry if isinstance(entry, int) else entry.pk
    deal_id = DealCompetitor.objects.values_list("opportunity_id", flat=True).get(pk=pk)
    _deal_for(deal_id, by)
    locked = DealCompetitor.objects.select_for_update().get(pk=pk)
    locked._history_user = by
    locked.delete()


# --- Competitive orders (CMP-3) --------------------------------------------


def competitive_order_create(
    *,
    customer: Customer | int,
    competitor: Competitor,
    amount: Decimal,
    won_on: date,
    by,
    product: CompetitorProduct | None = None,
    notes: str = "",
) -> CompetitiveOrder:
    """A deal ``competitor`` won at ``customer``; the customer must be in ``by``'s scope (404)."""
    if amount is None or Decimal(amount) <= 0:
        raise ValidationError({"amount": AMOUNT_POSITIVE})
    pk = customer if isinstance(customer, int) else customer.pk
    if by is not None:
        access_object(Customer, user=by, pk=pk)
    if product is not None and product.competitor_id != competitor.pk:
        raise ValidationError({"product": _("The product is not this competitor's.")})
    order = CompetitiveOrder(
        customer_id=pk,
        competitor=competitor,
        product=product,
        amount=amount,
        won_on=won_on,
        notes=notes,
        by=by,
    )
    _save(order, by=by)
    return order


# --- The deal's closing hook (OPP-9) -----------------------------------------


def deal_closed_record_winner(*, opportunity: Opportunity, stage, by, data: dict) -> None:
    """``projects.deals.hooks.deal_closed_hooks``: closing a deal as lost with
    ``data["winning_competitor"]`` (a competitor or its pk) records that
    competitor on the deal as the one who won it. Runs inside the closing
    transaction, after the deals code checked ``by`` may change the deal."""
    winner = data.get("winning_competitor")
    if stage.kind != Stage.Kind.LOST or not winner:
        return
    competitor_id = winner if isinstance(winner, int) else winner.pk
    entry = DealCompetitor.objects.filter(
        opportunity_id=opportunity.pk, competitor_id=competitor_id
    ).first() or DealCompetitor(opportunity=opportunity, competitor_id=competitor_id)
    entry.won_deal = True
    _check_winner(opportunity, entry, by=by)
    _save(entry, by=by, reason=str(stage))

"""Approval cannot be dodged by typing a price (issue 17): the rules judge a
quote against the catalogue -- the discount from the catalogue's price and
the margin over cost -- whatever list price a line carries, and giving a
line another list price is a permission."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from approvals.models import ApprovalRule, DocumentType
from crm.models import Role
from projects.catalogue.demo import seed_products
from projects.models import Product, Quote, QuoteStatus
from projects.orders.services import order_create
from projects.quotes.forms import QuoteLineFormSet
from projects.quotes.services import PRICE_LOCKED, TOO_LARGE, quote_create, quote_submit
from tests.factories import make_employee, make_opportunity
from tests.projects.approval_helpers import make_quote_rules

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def product(db):
    seed_products()
    return Product.objects.get(code="P-BI-01")  # 160,000.00, cost 40,000.00


def quote(by, product, *, deal=None, **line):
    return quote_create(
        opportunity=deal or make_opportunity(by),
        by=by,
        lines=[{"product": product, "quantity": D("1")} | line],
        valid_until=timezone.localdate() + timedelta(days=30),
    )


def test_a_rep_cannot_type_a_list_price_and_nothing_is_written(org, product):
    make_quote_rules()
    deal = make_opportunity(org.rep)
    with pytest.raises(ValidationError) as refused:
        quote(org.rep, product, deal=deal, list_price=D("1.00"))

    assert refused.value.message_dict["line_1"] == [
        PRICE_LOCKED % {"product": product, "price": D("160000.00")}
    ]
    assert not Quote.objects.filter(opportunity=deal).exists()


def test_the_catalogue_price_typed_again_is_accepted(org, product):
    made = quote(org.rep, product, list_price=D("160000"))
    assert made.lines.get().list_price == D("160000.00")


def test_a_lower_list_price_counts_as_a_discount_and_needs_approval(org, product):
    make_quote_rules()
    make_employee(org.team1, "sales_manager", username="manager2")
    # the manager may set prices; the list price of 1.00 is a 99.99 % discount
    made = quote(org.manager, product, list_price=D("1.00"))
    assert made.max_discount == D("100.00")

    submitted = quote_submit(quote=made, by=org.manager)

    assert submitted.status == QuoteStatus.SUBMITTED  # not "approved automatically"
    assert [step["name"] for step in submitted.approval_chain] == [
        "discount > 10 %",
        "discount > 20 %",
    ]


def test_a_margin_below_the_rule_needs_approval(org, product):
    ApprovalRule.objects.create(
        document_type=DocumentType.QUOTE,
        name="margin < 30 %",
        level=1,
        margin_below=D("30"),
        approver_role=Role.objects.get(code="sales_manager"),
    )
    # 160,000 list, 50 % off: 80,000 revenue over a 40,000 cost = 50 % margin
    fine = quote_submit(quote=quote(org.rep, product, discount=D("50")), by=org.rep)
    assert fine.status == QuoteStatus.APPROVED
    # 70 % off: 48,000 revenue, margin 16.67 % -- below 30 %
    thin = quote_submit(quote=quote(org.rep, product, discount=D("70")), by=org.rep)
    assert thin.status == QuoteStatus.SUBMITTED
    assert [step["name"] for step in thin.approval_chain] == ["margin < 30 %"]


def test_a_directly_entered_order_keeps_the_catalogue_price_too(org, product):
    with pytest.raises(ValidationError):
        order_create(
            by=org.rep,
            customer=make_opportunity(org.rep).customer,
            lines=[{"product": product, "quantity": D("1"), "list_price": D("1")}],
        )


def test_the_line_form_locks_the_price_for_those_who_may_not_set_it(org, product):
    locked = QuoteLineFormSet(prefix="lines", form_kwargs={"may_set_price": False})
    assert locked.forms[0].fields["list_price"].disabled
    open_ = QuoteLineFormSet(prefix="lines", form_kwargs={"may_set_price": True})
    assert not open_.forms[0].fields["list_price"].disabled
    assert org.manager.has_perm("projects.set_line_price")
    assert not org.rep.has_perm("projects.set_line_price")


def test_a_line_too_large_to_store_is_refused_with_a_message(org, product):
    """Found by the fuzzer: 9,999,999,999 × 160,000.00 overflowed the amount
    column and answered 500."""
    with pytest.raises(ValidationError) as refused:
        quote(org.rep, product, quantity=D("9999999999"))
    assert refused.value.message_dict["line_1"] == [str(TOO_LARGE)]

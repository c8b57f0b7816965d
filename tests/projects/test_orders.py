"""Sales orders (ORD-1): review, re-check, partial deliveries and payments."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from projects.models import OrderStatus, QuoteStatus, SalesOrder
from projects.orders.services import (
    order_business_review,
    order_collect,
    order_create,
    order_deliver,
    order_finance_review,
    order_submit,
    order_update,
)
from tests.factories import make_employee, make_order, make_quote

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def finance(org):
    return make_employee(org.east_sales, "finance", username="finance").user


def reviewed(order, org, finance):
    order_submit(order=order, by=org.rep)
    order_business_review(order=order, by=org.secretary, approve=True)
    return order_finance_review(order=order, by=finance, approve=True)


def test_an_order_goes_through_review_delivery_and_collection(org, processes, finance):
    order = make_order(org.rep, quantity=10)  # P-BI-01: 160,000.00 each, 13 % tax
    assert (order.status, order.subtotal, order.total) == (
        OrderStatus.DRAFT,
        D("1600000.00"),
        D("1808000.00"),
    )
    assert order.number.startswith("SO")
    order = reviewed(order, org, finance)
    assert order.status == OrderStatus.DELIVERY
    line = order.lines.get()

    first = order_deliver(order=order, by=org.secretary, quantities={line.pk: D("4")})
    assert first.amount == D("640000.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERY
    with pytest.raises(ValidationError):  # more than the 6 still open
        order_deliver(order=order, by=org.secretary, quantities={line.pk: D("7")})
    order_collect(order=order, by=finance, amount=D("1000000"))
    order_deliver(order=order, by=org.secretary, quantities={line.pk: D("6")})
    order.refresh_from_db()
    assert order.status == OrderStatus.COLLECTION
    with pytest.raises(ValidationError):  # more than outstanding
        order_collect(order=order, by=finance, amount=D("808000.01"))
    order_collect(order=order, by=finance, amount=D("808000.00"))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.outstanding == 0
    assert order.history.count() >= 6


def test_rejection_returns_it_to_the_rep_with_the_reason(org, processes, finance):
    order = make_order(org.rep)
    order_submit(order=order, by=org.rep)
    with pytest.raises(ValidationError):
        order_business_review(order=order, by=org.secretary, approve=False, reason="  ")
    order = order_business_review(
        order=order, by=org.secretary, approve=False, reason="缺少收货地址"
    )
    assert (order.status, order.rejection_reason) == (OrderStatus.DRAFT, "缺少收货地址")
    order_update(order=order, by=org.rep, delivery_address="上海市浦东新区")
    order_submit(order=order, by=org.rep)
    order_business_review(order=order, by=org.secretary, approve=True)
    order = order_finance_review(order=order, by=finance, approve=False, reason="信用额度不足")
    assert order.status == OrderStatus.DRAFT


def test_wrong_role_wrong_step_and_own_order_are_refused(org, processes, finance):
    order = make_order(org.rep)
    with pytest.raises(ValidationError):  # not submitted yet
        order_business_review(order=order, by=org.secretary, approve=True)
    order_submit(order=order, by=org.rep)
    with pytest.raises(PermissionDenied):  # finance cannot do the business review
        order_business_review(order=order, by=finance, approve=True)
    with pytest.raises(ValidationError):  # finance's step has not come
        order_finance_review(order=order, by=finance, approve=True)
    with pytest.raises(Http404):  # a secretary of another branch does not see it
        other = make_employee(org.south_sales, "business_secretary").user
        order_business_review(order=order, by=other, approve=True)
    # Someone who sells and also holds the secretary's role cannot review their own order.
    both = make_employee(org.east_sales, "sales_rep", "business_secretary").user
    own = make_order(both)
    order_submit(order=own, by=both)
    with pytest.raises(PermissionDenied):
        order_business_review(order=own, by=both, approve=True)
    order.refresh_from_db()
    assert order.status == OrderStatus.BUSINESS_REVIEW


def test_bad_lines_and_amounts_write_nothing(org, processes, finance):
    with pytest.raises(ValidationError):
        make_order(org.rep, quantity=-1)
    with pytest.raises(ValidationError):
        make_order(org.rep, discount=101)
    assert not SalesOrder.objects.exists()
    order = reviewed(make_order(org.rep), org, finance)
    with pytest.raises(ValidationError):
        order_collect(order=order, by=finance, amount=D("0"))
    with pytest.raises(ValidationError):
        order_deliver(order=order, by=org.secretary, quantities={})
    order.refresh_from_db()
    assert (order.collected_amount, order.delivered_amount) == (0, 0)


def test_an_order_from_an_approved_quote_copies_its_lines(org, processes):
    quote = make_quote(org.rep, quantity=3, discount=5)
    with pytest.raises(ValidationError):
        order_create(by=org.rep, quote=quote)  # still a draft
    type(quote).objects.filter(pk=quote.pk).update(status=QuoteStatus.APPROVED)
    quote.refresh_from_db()
    order = order_create(by=org.rep, quote=quote)
    assert (order.opportunity, order.customer, order.total) == (
        quote.opportunity,
        quote.customer,
        quote.total,
    )
    assert order.lines.get().discount == D("5")

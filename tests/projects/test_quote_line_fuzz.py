"""Fuzzing of the quote line parser (issue 17): NUL, huge and malformed
values in a quote's line form never raise anything but a refusal with a
message, through the form and through the page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.catalogue.demo import seed_products
from projects.models import Product
from projects.quotes.forms import QuoteLineFormSet
from projects.quotes.services import price_line
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
VALUE = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=st.sampled_from("\x00\x01\x7f-+.,eE9０１%"), max_size=25),
    st.sampled_from(["NaN", "Infinity", "-1", "1e400", "9" * 40, "0.001", "", " ", "1,5"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


@pytest.fixture
def product(db):
    seed_products()
    return Product.objects.order_by("code").first()


@FUZZ
@given(quantity=VALUE, discount=VALUE, price=VALUE, description=VALUE)
def test_the_line_form_refuses_or_accepts_but_never_breaks(
    product, quantity, discount, price, description
):
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": str(product.pk),
        "lines-0-quantity": quantity,
        "lines-0-discount": discount,
        "lines-0-list_price": price,
        "lines-0-description": description,
    }
    formset = QuoteLineFormSet(data, prefix="lines", form_kwargs={"may_set_price": True})
    if not formset.is_valid():
        assert formset.errors or formset.non_form_errors()
        return
    for form in formset.forms:
        try:
            price_line(1, form.line(), may_set_price=True)
        except ValidationError as refused:
            assert refused.messages


@FUZZ
@given(
    quantity=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    discount=st.decimals(allow_nan=False, allow_infinity=False, places=2),
    price=st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=2)),
)
def test_priced_lines_are_refused_with_a_message_or_consistent(product, quantity, discount, price):
    line = {"product": product, "quantity": quantity, "discount": discount, "list_price": price}
    try:
        priced = price_line(1, line, may_set_price=True)
    except ValidationError as refused:
        assert refused.message_dict["line_1"]
        return
    assert priced["quantity"] > 0 and Decimal("0") <= priced["discount"] <= Decimal("100")
    assert priced["net_price"] <= priced["list_price"]


@FUZZ
@given(quantity=VALUE, discount=VALUE, price=VALUE)
def test_the_quote_page_never_answers_500(client, org, product, quantity, discount, price):
    deal = make_opportunity(org.manager)
    client.force_login(org.manager)
    response = client.post(
        reverse("quotes:quote:add") + f"?opportunity={deal.pk}",
        {
            "valid_until": "2030-01-01",
            "terms": "\x00",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
            "lines-0-product": str(product.pk),
            "lines-0-quantity": quantity,
            "lines-0-discount": discount,
            "lines-0-list_price": price,
        },
    )
    assert response.status_code in (200, 302, 400)

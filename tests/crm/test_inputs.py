"""Every input (issue 17): NUL and other control characters are dropped at
the edge for every query parameter and form field, so no input brings a 500."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from django.test import RequestFactory
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.inputs import strip_controls
from crm.middleware import ControlCharacterMiddleware
from customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db

URL = "/search/"


def test_strip_controls_keeps_tabs_and_line_breaks():
    assert strip_controls("a\x00b\x1bc\x7fd\x85e\tf\r\ng") == "abcde\tf\r\ng"
    assert strip_controls("张三 zs") == "张三 zs"


@pytest.mark.parametrize("query", ["q=%00abc", "q=%00abc&partial=1", "q=ab%00c&type=customers"])
def test_search_with_a_nul_byte_answers(org, client, query):
    make_customer(org.rep, name="abc有限公司")
    client.force_login(org.rep)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 200
    assert "abc有限公司" in response.content.decode()


def test_the_customer_list_search_with_a_nul_byte_answers(org, client):
    client.force_login(org.rep)
    response = client.get(reverse("customers:customer:index") + "?_search=%00abc&region=%00")
    assert response.status_code == 200


def test_a_form_post_drops_control_characters(org, client):
    client.force_login(org.rep)
    response = client.post(
        reverse("customers:customer:add"),
        {
            "type": "end_customer",
            "credit_status": "normal",
            "name": "杭州\x00启明\x1b软件有限公司",
            "notes": "第一行\r\n\t第二行\x00",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.notes) == ("杭州启明软件有限公司", "第一行\r\n\t第二行")


def test_the_middleware_cleans_keys_and_values_and_leaves_clean_requests_alone():
    seen = {}

    def view(request):
        seen["GET"], seen["POST"] = request.GET, request.POST
        return None

    request = RequestFactory().post("/x/?a%00=1%002&b=ok", {"c": "x\x00y", "d": ["1", "2\x01"]})
    ControlCharacterMiddleware(view)(request)
    assert dict(seen["GET"].lists()) == {"a": ["12"], "b": ["ok"]}
    assert dict(seen["POST"].lists()) == {"c": ["xy"], "d": ["1", "2"]}
    assert not seen["GET"]._mutable

    clean = RequestFactory().get("/x/?a=1")
    original = clean.GET
    ControlCharacterMiddleware(view)(clean)
    assert seen["GET"] is original
    assert isinstance(seen["GET"], QueryDict)


# --- Fuzzing ------------------------------------------------------------------------------

#: Text with what breaks things: NUL and other controls, surrogate-free
#: Unicode, SQL and tsquery syntax, very long runs.
NASTY = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.sampled_from("\x00\x01\x1b\x7f\x85'\"\\%_&|!():*<>-张三zs 0"), max_size=60),
    st.text(min_size=1000, max_size=5000),
    st.sampled_from(["\x00", "%00", "' OR 1=1 --", "a & | ! b", "((((", ":*", "\\", "张三\x00"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=NASTY, partial=st.booleans(), kind=st.sampled_from(["", "customers", "contacts", "x"]))
def test_fuzz_the_one_box_search_never_answers_500(org, client, query, partial, kind):
    client.force_login(org.rep)
    params = {"q": query, "type": kind}
    if partial:
        params["partial"] = "1"
    response = client.get(URL, params)
    assert response.status_code in (200, 404)

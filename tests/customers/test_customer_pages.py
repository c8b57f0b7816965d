"""The customer pages: scoped list, create and edit through the services."""

import pytest
from django.urls import reverse

from customers.models import Customer
from tests.factories import make_customer

pytestmark = pytest.mark.django_db
REQUIRED = {"type": "end_customer", "credit_status": "normal"}


def list_url():
    return reverse("customers:customer:index")


def test_list_shows_only_the_scope(org, client):
    make_customer(org.rep, name="本人客户有限公司")
    make_customer(org.rep_b, name="同事客户有限公司")
    client.force_login(org.rep)

    page = client.get(list_url()).content.decode()

    assert "本人客户有限公司" in page
    assert "同事客户有限公司" not in page


def test_list_query_count_does_not_grow_with_rows(
    org, client, django_assert_max_num_queries, django_assert_num_queries
):
    make_customer(org.rep)
    client.force_login(org.manager)
    client.get(list_url())  # first request of the session
    with django_assert_max_num_queries(12) as captured:
        client.get(list_url())
    for owner in (org.rep, org.rep_b, org.sub_rep, org.manager) * 5:
        make_customer(owner)
    with django_assert_num_queries(len(captured)):
        response = client.get(list_url())
    assert response.status_code == 200


def test_creating_a_customer_sets_owner_department_branch_and_history(org, client):
    client.force_login(org.rep)
    response = client.post(
        reverse("customers:customer:add"),
        {
            **REQUIRED,
            "name": "杭州启明软件有限公司",
            "short_name": "启明",
            "industry": "it",
            "region": "杭州",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="杭州启明软件有限公司")
    assert (customer.owner, customer.department, customer.branch) == (
        org.rep,
        org.team1,
        org.east,
    )
    assert customer.history.get().history_user == org.rep


def test_invalid_input_changes_nothing(org, client):
    client.force_login(org.rep)
    response = client.post(reverse("customers:customer:add"), {"name": "", "industry": "nope"})
    assert response.status_code == 200
    assert not Customer.objects.exists()


def test_manager_edits_a_team_customer_and_the_history_names_them(org, client):
    customer = make_customer(org.rep, region="上海")
    client.force_login(org.manager)
    response = client.post(
        reverse("customers:customer:change", kwargs={"pk": customer.pk}),
        {**REQUIRED, "name": customer.name, "region": "苏州"},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.region == "苏州"
    assert customer.owner == org.rep  # editing does not take the customer over
    assert customer.history.first().history_user == org.manager


def test_users_without_the_permission_cannot_add(org, client):
    client.force_login(org.secretary)  # sees the branch, may not create customers
    assert client.get(reverse("customers:customer:add")).status_code == 403
    assert client.post(reverse("customers:customer:add"), {"name": "x"}).status_code == 403
    assert not Customer.objects.exists()


def test_customers_are_never_deleted_from_the_app(org):
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        reverse("customers:customer:delete", kwargs={"pk": 1})

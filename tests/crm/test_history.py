"""NFR-2: who changed what on scoped records, shown on the record's page."""

import pytest
from django.urls import reverse

from crm.history import history_rows
from customers.services import customer_update
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_changes_are_recorded_with_actor_and_old_and_new_values(org):
    customer = make_customer(org.rep, name="上海华信精密机械有限公司", region="上海")
    customer_update(customer=customer, by=org.manager, region="苏州")

    rows = history_rows(customer)

    assert [row.action for row in rows] == ["Changed", "Created"]
    assert rows[0].by == "manager"
    assert [(c.field, c.old, c.new) for c in rows[0].changes] == [("region", "上海", "苏州")]
    assert rows[1].by == "rep"


def test_owner_changes_show_names_not_ids(org):
    customer = make_customer(org.rep)
    customer_update(customer=customer, by=org.manager, owner=org.rep_b)

    changes = {c.field: (c.old, c.new) for c in history_rows(customer)[0].changes}

    assert changes["owner"] == ("rep", "rep_b")
    assert "department" not in changes  # same department


def test_detail_page_shows_history_in_constant_queries(
    org, client, django_assert_max_num_queries, django_assert_num_queries
):
    customer = make_customer(org.rep, region="上海")
    for city in ["苏州", "杭州", "南京", "无锡", "宁波"]:
        customer_update(customer=customer, by=org.rep, region=city)
    client.force_login(org.rep)
    url = reverse("customers:customer:detail", kwargs={"pk": customer.pk})

    client.get(url)  # the session's first request also stores the language
    with django_assert_max_num_queries(18) as captured:  # the whole 360° page
        client.get(url)
    for city in ["上海", "北京", "广州"]:
        customer_update(customer=customer, by=org.manager, region=city)
    with django_assert_num_queries(len(captured)):
        response = client.get(url)

    assert response.status_code == 200
    assert 'data-panel="history"' in response.content.decode()
    assert "广州" in response.content.decode()

"""Export of the customer list to xlsx (IMP-2): scope, filters, formulas, language."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.services import employee_set_language
from crm.spreadsheets import neutralise
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def export(client, **params) -> list[tuple]:
    response = client.get(reverse("customers:customer_export"), params)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    content = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def test_export_holds_only_the_scope(org, client):
    make_customer(org.rep, name="本人客户有限公司")
    make_customer(org.rep_b, name="同事客户有限公司")
    make_customer(org.rep2, name="华南客户有限公司")

    client.force_login(org.rep)
    rows = export(client)
    assert [row[0] for row in rows[1:]] == ["本人客户有限公司"]

    client.force_login(org.rep2)
    assert [row[0] for row in export(client)[1:]] == ["华南客户有限公司"]

    client.force_login(org.manager)
    assert [row[0] for row in export(client)[1:]] == ["同事客户有限公司", "本人客户有限公司"]


def test_export_applies_the_list_filters(org, client):
    make_customer(org.rep, name="甲信息有限公司", industry="it", type="partner")
    make_customer(org.rep, name="乙制造有限公司", industry="manufacturing")
    make_customer(org.rep, name="丙信息有限公司", industry="it")
    client.force_login(org.rep)

    assert [r[0] for r in export(client, industry="it")[1:]] == ["丙信息有限公司", "甲信息有限公司"]
    assert [r[0] for r in export(client, industry="it", type="partner")[1:]] == ["甲信息有限公司"]
    assert [r[0] for r in export(client, q="丙")[1:]] == ["丙信息有限公司"]
    assert export(client, is_archived="true")[1:] == []
    assert [r[0] for r in export(client, owner=org.rep.pk)[1:]] == [
        "丙信息有限公司",
        "乙制造有限公司",
        "甲信息有限公司",
    ]


def test_invalid_filters_export_nothing(org, client):
    make_customer(org.rep, name="甲信息有限公司", industry="it")
    client.force_login(org.rep)
    response = client.get(reverse("customers:customer_export"), {"industry": "nonsense"})
    assert response.status_code == 400


def test_formulas_are_neutralised(org, client):
    make_customer(
        org.rep,
        name='=HYPERLINK("http://evil.example","点我")',
        short_name="+1+2",
        region="-3",
        address="@SUM(A1)",
        notes="=not exported",
    )
    client.force_login(org.rep)

    header, row = export(client)

    assert row[0] == '\'=HYPERLINK("http://evil.example","点我")'
    assert (row[1], row[5], row[6]) == ("'+1+2", "'-3", "'@SUM(A1)")
    assert neutralise("正常") == "正常" and neutralise(5) == 5


def test_headers_and_labels_follow_the_users_language(org, client):
    customer = make_customer(org.rep, name="甲信息有限公司", industry="it")
    client.force_login(org.rep)

    header, row = export(client)
    local = timezone.localtime(customer.created_at).strftime("%Y-%m-%d %H:%M")
    assert (header[17], row[17]) == ("created at", local)
    assert header[:5] == (
        "name",
        "short name",
        "unified social credit code",
        "customer type",
        "industry",
    )
    assert (row[3], row[4], row[14], row[16]) == (
        "End customer",
        "Information technology",
        "rep",
        "no",
    )

    employee_set_language(user=org.rep, language="zh-hans")
    browser = Client(headers={"accept-language": "en"})  # a new session reads the choice
    browser.force_login(org.rep)
    header, row = export(browser)
    assert (header[0], row[4]) == ("名称", "信息技术")


def test_export_query_count_does_not_grow_with_rows(org, client, django_assert_max_num_queries):
    make_customer(org.rep)
    client.force_login(org.manager)
    export(client)
    with django_assert_max_num_queries(12) as captured:
        export(client)
    for _ in range(30):
        make_customer(org.rep_b)
    with django_assert_max_num_queries(len(captured)):
        rows = export(client)
    assert len(rows) == 32


def test_list_page_actions_carry_the_filters(org, rf):
    from customers.views_import import list_page_actions

    request = rf.get("/customers/customer/", {"industry": "it", "_search": "甲"})
    request.user = org.rep
    export_action, import_action = list_page_actions(request)
    assert export_action.url == "/customers/export/?industry=it&_search=%E7%94%B2"
    assert import_action.url == reverse("customers:import")

"""Budget pages: execution within the scope, xlsx export, finance-only
writes, the double-count message, pinned query counts."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from expenses.budgets import budget_create
from expenses.models import Budget
from expenses.services import claim_create, claim_submit

pytestmark = pytest.mark.django_db
D = Decimal


def line(finance, department, category, number=3, amount="1000"):
    return budget_create(
        by=finance,
        department=department,
        category=category,
        period_kind="month",
        year=2030,
        number=number,
        amount=D(amount),
    )


def test_execution_page_export_and_scope(client, org, finance, travel):
    mine = line(finance, org.team1, travel)
    south = line(finance, org.south_sales, travel)
    claim_submit(
        claim=claim_create(by=org.rep, category=travel, amount=D("250"), spent_on=date(2030, 3, 2)),
        by=org.rep,
    )
    client.force_login(org.branch_mgr)
    page = client.get(reverse("expenses:budget:index")).content.decode()
    assert f'data-budget="{mine.pk}"' in page and f'data-budget="{south.pk}"' not in page
    assert "250.00" in page
    export = client.get(reverse("expenses:budget:export") + "?year=2030")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.values)
    assert len(rows) == 2 and rows[1][6:9] == (1000, 0, 250)
    client.force_login(org.rep)
    assert client.get(reverse("expenses:budget:index")).status_code == 403
    assert client.get(reverse("expenses:budget:export")).status_code == 403
    client.force_login(finance)  # east branch finance: the south line is 404
    assert client.get(reverse("expenses:budget:edit", kwargs={"pk": south.pk})).status_code == 404


def test_finance_adds_lines_and_a_double_count_is_refused_with_a_message(
    client, org, finance, travel
):
    client.force_login(finance)
    data = {
        "department": org.team1.pk,
        "category": travel.pk,
        "period_kind": "quarter",
        "year": 2030,
        "number": 1,
        "amount": "9000",
    }
    assert client.post(reverse("expenses:budget:add"), data).status_code == 302
    data.update(period_kind="month", number=2)
    response = client.post(reverse("expenses:budget:add"), data)
    assert response.status_code == 400
    assert "would be counted twice" in response.content.decode()
    assert Budget.objects.count() == 1
    budget = Budget.objects.get()
    edit = reverse("expenses:budget:edit", kwargs={"pk": budget.pk})
    assert client.post(edit, {"amount": "9500"}).status_code == 302
    budget.refresh_from_db()
    assert budget.amount == D("9500")
    client.force_login(org.manager)  # sees budgets, may not change them
    assert client.post(edit, {"amount": "1"}).status_code == 403


def test_execution_query_count_does_not_grow_with_lines(client, org, finance, travel):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    line(finance, org.team1, travel, number=1)
    client.force_login(finance)
    url = reverse("expenses:budget:index")
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    first = count()
    for number in range(2, 7):
        line(finance, org.team1, travel, number=number)
    assert count() == first


def test_a_line_page_shows_its_burn_down_to_managers_and_the_form_to_finance(
    client, org, finance, travel
):
    budget = line(finance, org.team1, travel, amount="1000")
    claim_submit(
        claim=claim_create(
            by=org.rep, category=travel, amount=D("400"), spent_on=date(2030, 3, 10)
        ),
        by=org.rep,
    )
    from expenses.budgets import burn_down

    data = burn_down(budget)
    assert len(data["days"]) == 31 and data["left"][8] == 1000.0 and data["left"][9] == 600.0
    url = reverse("expenses:budget:edit", kwargs={"pk": budget.pk})
    client.force_login(org.manager)
    page = client.get(url).content.decode()
    assert 'data-testid="burn-down"' in page and 'data-testid="budget-form"' not in page
    client.force_login(finance)
    assert 'data-testid="budget-form"' in client.get(url).content.decode()
    client.force_login(org.rep2)
    assert client.get(url).status_code == 403  # a rep sees no budgets at all

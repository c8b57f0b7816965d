"""Funnel, forecast and snapshot pages: scope, bad input, figures, actions."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse

from analytics.models import Snapshot
from analytics.periods import END_BEFORE_START
from analytics.scopes import SCOPE_TOO_WIDE
from projects.deals.services import opportunity_move
from projects.models import Stage
from tests.analytics.conftest import local
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

FUNNEL = reverse("analytics:funnel:index")
FORECAST = reverse("analytics:forecast:index")
Q1 = {"start": "2025-01-01", "end": "2025-04-01"}


def cell(html: str, stage: Stage, name: str) -> str:
    row = re.search(rf'<tr data-stage="{stage.pk}">(.*?)</tr>', html, re.S).group(1)
    return re.search(rf'data-cell="{name}">([^<]*)<', row).group(1).strip()


@pytest.fixture
def deals(org, stages):
    """In Q1 2025: rep's, rep_b's (same team) and rep2's (South) deals enter lead."""
    made = {}
    for name in ("rep", "rep_b", "rep2"):
        made[name] = make_opportunity(
            getattr(org, name), stage=stages["lead"], at=local(date(2025, 1, 10))
        )
    opportunity_move(
        opportunity=made["rep"],
        to_stage=stages["needs"],
        by=org.rep,
        at=local(date(2025, 2, 1)),
    )
    return made


def test_manager_sees_the_department_funnel_without_other_branches(client, org, stages, deals):
    client.force_login(org.manager)
    response = client.get(FUNNEL, {**Q1, "scope": f"department:{org.team1.pk}"})
    assert response.status_code == 200
    html = response.content.decode()
    assert cell(html, stages["lead"], "inflow") == "2"  # rep's and rep_b's, not rep2's
    assert cell(html, stages["lead"], "outflow") == "1"
    assert cell(html, stages["needs"], "closing") == "1"
    assert 'data-testid="funnel-chart"' in html
    snapshot = Snapshot.objects.get()
    assert (snapshot.kind, snapshot.scope_key, snapshot.status) == (
        "funnel",
        f"department:{org.team1.pk}",
        "done",
    )


def test_a_rep_sees_only_own_deals(client, org, stages, deals):
    client.force_login(org.rep)
    response = client.get(FUNNEL, {**Q1, "scope": f"owner:{org.rep.pk}"})
    html = response.content.decode()
    assert cell(html, stages["lead"], "inflow") == "1"
    assert cell(html, stages["needs"], "inflow") == "1"


def test_all_scope_counts_everyone(client, org, stages, deals):
    client.force_login(org.executive)
    html = client.get(FUNNEL, {**Q1, "scope": "all"}).content.decode()
    assert cell(html, stages["lead"], "inflow") == "3"


@pytest.mark.parametrize(
    ("username", "scope"),
    [
        ("rep", "branch:{east}"),
        ("rep", "department:{team1}"),
        ("rep", "owner:{rep_b}"),
        ("manager", "branch:{east}"),
        ("manager", "department:{team2}"),
        ("manager", "all"),
        ("branch_mgr", "branch:{south}"),
        ("branch_mgr", "department:{south_sales}"),
    ],
)
def test_a_wider_scope_is_refused_with_a_clear_message(client, org, deals, username, scope):
    ids = {
        "east": org.east.pk,
        "south": org.south.pk,
        "team1": org.team1.pk,
        "team2": org.team2.pk,
        "south_sales": org.south_sales.pk,
        "rep_b": org.rep_b.pk,
    }
    client.force_login(getattr(org, username))
    response = client.get(FUNNEL, {**Q1, "scope": scope.format(**ids)})
    assert response.status_code == 200
    assert str(SCOPE_TOO_WIDE) in response.content.decode()
    assert not Snapshot.objects.exists()


def test_end_before_start_is_refused(client, org, deals):
    client.force_login(org.manager)
    for url in (FUNNEL, FORECAST):
        response = client.get(url, {"start": "2025-04-01", "end": "2025-01-01"})
        assert str(END_BEFORE_START) in response.content.decode()
    assert not Snapshot.objects.exists()


def test_the_defaults_show_this_quarter_for_the_widest_scope(client, org, deals):
    client.force_login(org.branch_mgr)
    assert client.get(FUNNEL).status_code == 200
    snapshot = Snapshot.objects.get()
    assert snapshot.scope_key == f"branch:{org.east.pk}"
    assert snapshot.parameters["start"] <= date.today().isoformat() < snapshot.parameters["end"]


def test_filters_by_owner_process_and_product(client, org, stages, deals, processes):
    from projects.deals.services import product_line_save
    from projects.models import Product

    product = Product.objects.create(code="P1", name="平台", list_price=1000)
    product_line_save(opportunity=deals["rep_b"], product=product, quantity=1, by=org.rep_b)
    client.force_login(org.manager)
    base = {**Q1, "scope": f"department:{org.team1.pk}"}
    by_owner = client.get(FUNNEL, {**base, "owner": org.rep_b.pk}).content.decode()
    assert cell(by_owner, stages["lead"], "inflow") == "1"
    assert cell(by_owner, stages["lead"], "outflow") == "0"
    by_product = client.get(FUNNEL, {**base, "product": product.pk}).content.decode()
    assert cell(by_product, stages["lead"], "inflow") == "1"
    standard = client.get(FUNNEL, {**base, "process": processes["standard"].pk}).content.decode()
    assert f'data-stage="{stages["lead"].pk}"' not in standard
    assert Snapshot.objects.count() == 3


def test_an_owner_outside_the_scope_is_refused(client, org, deals):
    client.force_login(org.manager)
    response = client.get(FUNNEL, {**Q1, "owner": org.rep2.pk})
    assert "Choose an owner within your data scope." in response.content.decode()
    assert not Snapshot.objects.exists()

"""The manager dashboard (ANA-4) and the pinned query counts of the pages:
once the snapshots exist, a page reads them and never grows with the deals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import Snapshot
from tests.factories import make_customer, make_follow_up, make_opportunity

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("analytics:dashboard:index")


def add_deals(org, stages, count: int) -> None:
    for number in range(count):
        deal = make_opportunity(
            org.rep,
            stage=stages["lead"],
            expected_close_date=timezone.localdate() + timedelta(days=20),
        )
        if number % 2:
            from projects.deals.services import opportunity_move

            opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep)
        make_follow_up(deal.customer, by=org.rep, occurred_at=timezone.now() - timedelta(days=2))


def test_the_dashboard_shows_funnel_forecast_and_team_activity(client, org, stages):
    add_deals(org, stages, 3)
    make_follow_up(make_customer(org.rep2), by=org.rep2)  # South China: not the manager's
    client.force_login(org.manager)
    html = client.get(DASHBOARD).content.decode()
    assert 'data-testid="funnel-chart"' in html
    assert 'data-testid="forecast-chart"' in html
    assert '<table class="crm-table crm-figures" data-table="activity">' in html
    assert '<td data-cell="last_7">3</td>' in html
    assert "rep2" not in html
    assert set(Snapshot.objects.values_list("kind", "scope_key")) == {
        ("funnel", f"department:{org.team1.pk}"),
        ("forecast", f"department:{org.team1.pk}"),
        ("activity", f"department:{org.team1.pk}"),
    }


def test_a_rep_s_dashboard_is_their_own(client, org, stages):
    add_deals(org, stages, 1)
    client.force_login(org.rep_b)
    assert client.get(DASHBOARD).status_code == 200
    assert set(Snapshot.objects.values_list("scope_key", flat=True)) == {f"owner:{org.rep_b.pk}"}
    assert '<td data-cell="last_7">' not in client.get(DASHBOARD).content.decode()


# Pinned counts: session, user, the user's scope, the snapshot(s), and the
# page's own small reads (scope label, permission, filter choices).
DASHBOARD_QUERIES = 8
FUNNEL_QUERIES = 12
SNAPSHOT_QUERIES = 7
STATUS_QUERIES = 5


@pytest.mark.parametrize("deals", [2, 8])
def test_dashboard_query_count_is_constant(client, org, stages, deals, django_assert_num_queries):
    add_deals(org, stages, deals)
    client.force_login(org.manager)
    client.get(DASHBOARD)  # computes the snapshots (eagerly)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        assert client.get(DASHBOARD).status_code == 200


@pytest.mark.parametrize("deals", [2, 8])
def test_funnel_and_snapshot_pages_query_counts_are_constant(
    client, org, stages, deals, django_assert_num_queries
):
    add_deals(org, stages, deals)
    client.force_login(org.manager)
    url = reverse("analytics:funnel:index")
    client.get(url)
    snapshot = Snapshot.objects.get()
    with django_assert_num_queries(FUNNEL_QUERIES):
        assert client.get(url).status_code == 200
    with django_assert_num_queries(SNAPSHOT_QUERIES):
        assert (
            client.get(reverse("analytics:snapshot", kwargs={"pk": snapshot.pk})).status_code == 200
        )
    with django_assert_num_queries(STATUS_QUERIES):
        client.get(reverse("analytics:snapshot_status", kwargs={"pk": snapshot.pk}))


def test_the_analytics_pages_in_chinese(client, org, stages):
    add_deals(org, stages, 2)
    client.force_login(org.manager)
    chinese = {"accept-language": "zh-hans"}
    for url in (DASHBOARD, reverse("analytics:funnel:index"), reverse("analytics:forecast:index")):
        response = client.get(url, headers=chinese)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans"' in response.content.decode(), url
    funnel = client.get(reverse("analytics:funnel:index"), headers=chinese).content.decode()
    assert f'<td data-cell="stage">{stages["lead"].name}</td>' in funnel  # 线索确认

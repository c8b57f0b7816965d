"""Snapshots (ANA-7): stored figures, status, recompute, refresh after stage
changes, export, the success-rate action and scope on every id URL."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from analytics.models import Snapshot
from analytics.snapshots import (
    DEBOUNCE_KEY,
    snapshot_recompute,
    snapshots_mark_stale,
    snapshots_refresh_stale,
)
from analytics.tasks import compute_snapshot
from projects.deals.services import opportunity_move
from projects.models import Stage
from tests.analytics.conftest import local
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

FUNNEL = reverse("analytics:funnel:index")
Q1 = {"start": "2025-01-01", "end": "2025-04-01"}


def page_cells(html: str) -> list[list[str]]:
    table = re.search(r'<table class="crm-table crm-figures".*?<tbody>(.*?)</tbody>', html, re.S)
    return [
        [c.strip() for c in re.findall(r'<td data-cell="[^"]+">([^<]*)</td>', row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1), re.S)
    ]


@pytest.fixture
def history(org, stages, loss_reason):
    """Team 1 in Q1 2025: one deal won from solution, one lost from lead,
    one still in needs; South China has a deal too."""
    won = make_opportunity(org.rep, stage=stages["lead"], at=local(date(2024, 12, 1)))
    opportunity_move(
        opportunity=won, to_stage=stages["solution"], by=org.rep, at=local(date(2025, 1, 5))
    )
    opportunity_move(
        opportunity=won, to_stage=stages["won"], by=org.rep, at=local(date(2025, 2, 5))
    )
    lost = make_opportunity(org.rep_b, stage=stages["lead"], at=local(date(2025, 1, 7)))
    opportunity_move(
        opportunity=lost,
        to_stage=stages["lost"],
        by=org.rep_b,
        at=local(date(2025, 3, 1)),
        loss_reason=loss_reason,
    )
    open_deal = make_opportunity(org.rep, stage=stages["needs"], at=local(date(2025, 2, 1)))
    make_opportunity(org.rep2, stage=stages["lead"], at=local(date(2025, 1, 9)))
    return {"won": won, "lost": lost, "open": open_deal}


@pytest.fixture
def team_funnel(client, org, history):
    """The manager's funnel of team 1 for Q1 2025, computed (eagerly)."""
    client.force_login(org.manager)
    response = client.get(FUNNEL, {**Q1, "scope": f"department:{org.team1.pk}"})
    assert response.status_code == 200
    return Snapshot.objects.get()


def test_the_task_stores_figures_parameters_scope_and_time(team_funnel, org, stages):
    snapshot = team_funnel
    assert snapshot.status == Snapshot.Status.DONE
    assert snapshot.progress == 100
    assert snapshot.requested_by == org.manager
    assert snapshot.parameters == {**Q1, "owner": None, "process": None, "product": None}
    assert snapshot.period_end == date(2025, 4, 1)
    assert timezone.now() - snapshot.computed_at < timedelta(minutes=1)
    lead = next(r for r in snapshot.figures["stages"] if r["stage"] == stages["lead"].pk)
    assert (lead["opening"], lead["inflow"], lead["outflow"], lead["lost"]) == (1, 1, 2, 1)
    assert lead["success_rate"] == 0.5  # the won deal and the lost one entered lead


def test_the_page_shows_when_the_figures_were_computed(client, team_funnel):
    html = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk})).content
    assert b"Computed at" in html
    assert b'data-action="recompute"' in html
    assert b"analytics/js/snapshot.js" in html
    assert b"<script>" not in html  # CSP: no inline scripts


def test_eager_task_through_celery(team_funnel):
    Snapshot.objects.filter(pk=team_funnel.pk).update(
        figures=None, status=Snapshot.Status.QUEUED, computed_at=None
    )
    result = compute_snapshot.delay(team_funnel.pk)
    assert result.get() == {"id": team_funnel.pk, "status": "done"}
    team_funnel.refresh_from_db()
    assert team_funnel.figures["totals"]["won"] == 1


def test_status_endpoint(client, team_funnel):
    url = reverse("analytics:snapshot_status", kwargs={"pk": team_funnel.pk})
    data = client.get(url).json()
    assert data["status"] == "done"
    assert data["progress"] == 100
    assert data["busy"] is False
    assert data["stale"] is False
    assert data["computed_at"] == timezone.localtime(team_funnel.computed_at).isoformat()


def test_recompute_button_computes_again_with_the_latest_stage_changes(
    client, org, stages, history, team_funnel
):
    before = team_funnel.computed_at
    lead = stages["lead"].pk
    opportunity_move(
        opportunity=history["open"],
        to_stage=stages["tender"],
        by=org.rep,
        at=local(date(2025, 3, 20)),
    )
    url = reverse("analytics:snapshot_recompute", kwargs={"pk": team_funnel.pk})
    response = client.post(url, {"next": f"{FUNNEL}?start=2025-01-01"})
    assert response.status_code == 302
    assert response["Location"] == f"{FUNNEL}?start=2025-01-01"
    team_funnel.refresh_from_db()
    assert team_funnel.computed_at > before
    rows = {r["code"]: r for r in team_funnel.figures["stages"]}
    assert (rows["needs"]["outflow"], rows["tender"]["inflow"]) == (1, 1)
    assert rows["lead"]["stage"] == lead


def test_recompute_is_not_doubled_while_one_runs(org, team_funnel):
    Snapshot.objects.filter(pk=team_funnel.pk).update(
        status=Snapshot.Status.RUNNING, progress=30, requested_at=timezone.now()
    )
    snapshot = snapshot_recompute(snapshot=team_funnel, by=org.manager)
    assert (snapshot.status, snapshot.progress) == ("running", 30)


def test_a_stage_change_marks_the_snapshot_stale_and_the_page_refreshes(
    client, org, stages, history, team_funnel, django_capture_on_commit_callbacks
):
    # The period must not have ended for a change now to alter it.
    Snapshot.objects.filter(pk=team_funnel.pk).update(period_end=date.today() + timedelta(days=1))
    other = Snapshot.objects.create(
        kind=Snapshot.Kind.FUNNEL,
        scope_key=f"department:{org.south_sales.pk}",
        params_key="{}",
        parameters={},
        period_end=date.today() + timedelta(days=1),
        status=Snapshot.Status.DONE,
        requested_at=timezone.now(),
        viewed_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        opportunity_move(opportunity=history["open"], to_stage=stages["tender"], by=org.rep)
    team_funnel.refresh_from_db()
    other.refresh_from_db()
    assert team_funnel.stale is True
    assert other.stale is False  # another department's report is untouched
    assert cache_has_no_refresh_queued()  # eager: the page refreshes, not a task

    page = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}))
    assert page.status_code == 200
    team_funnel.refresh_from_db()
    assert (team_funnel.stale, team_funnel.status) == (False, "done")


def cache_has_no_refresh_queued() -> bool:
    from django.core.cache import cache

    return cache.get(DEBOUNCE_KEY) is None


def test_a_past_period_is_not_marked_stale_by_a_change_now(org, history, team_funnel):
    assert snapshots_mark_stale(opportunity_id=history["open"].pk) == 0
    team_funnel.refresh_from_db()
    assert team_funnel.stale is False


def test_forecasts_of_every_scope_that_includes_the_deal_are_marked(org, history):
    keys = [
        "all",
        f"branch:{org.east.pk}",
        f"department:{org.east_sales.pk}",
        f"department:{org.team1.pk}",
        f"owner:{org.rep.pk}",
        f"owner:{org.rep_b.pk}",
        f"branch:{org.south.pk}",
    ]
    for key in keys:
        Snapshot.objects.create(
            kind=Snapshot.Kind.FORECAST,
            scope_key=key,
            params_key="{}",
            status=Snapshot.Status.DONE,
            requested_at=timezone.now(),
            viewed_at=timezone.now(),
        )
    assert snapshots_mark_stale(opportunity_id=history["open"].pk) == 5
    assert set(Snapshot.objects.filter(stale=False).values_list("scope_key", flat=True)) == {
        f"owner:{org.rep_b.pk}",
        f"branch:{org.south.pk}",
    }


def test_the_refresh_task_recomputes_recently_viewed_stale_snapshots(org, team_funnel):
    old = Snapshot.objects.create(
        kind=Snapshot.Kind.FUNNEL,
        scope_key=team_funnel.scope_key,
        params_key="old",
        parameters={**Q1, "owner": None, "process": None, "product": None},
        stale=True,
        status=Snapshot.Status.DONE,
        requested_at=timezone.now(),
        requested_by=org.manager,
        viewed_at=timezone.now() - timedelta(days=30),
    )
    Snapshot.objects.filter(pk=team_funnel.pk).update(stale=True)
    assert snapshots_refresh_stale() == 1
    team_funnel.refresh_from_db()
    old.refresh_from_db()
    assert (team_funnel.stale, team_funnel.status) == (False, "done")
    assert old.stale is True  # nobody looked at it lately


def test_xlsx_export_has_exactly_the_page_figures(client, team_funnel):
    page = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}))
    shown = page_cells(page.content.decode())
    response = client.get(reverse("analytics:snapshot_export", kwargs={"pk": team_funnel.pk}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index(next(r for r in rows if r and r[0] == "Sales process"))
    exported = rows[header + 1 :]
    figures = team_funnel.figures["stages"]
    assert len(exported) == len(shown) == len(figures) == 8  # both processes' open stages
    for sheet_row, page_row, stage in zip(exported, shown, figures, strict=True):
        assert sheet_row[2:9] == [stage[k] for k in ("opening", "inflow", "outflow", "closing")] + [
            stage[k] for k in ("won", "lost", "stalled")
        ]
        assert sheet_row[9:] == [stage["conversion_rate"], stage["success_rate"]]
        rates = sheet.cell(row=header + 2, column=10).number_format
        assert rates == "0.0%"
        as_text = [str(v) for v in sheet_row[:9]] + [
            "—" if v is None else f"{v * 100:.1f}%" for v in sheet_row[9:]
        ]
        assert as_text == page_row


@pytest.mark.parametrize("username", ["rep", "rep2", "rep_team2", "manager_of_south"])
def test_a_user_outside_the_scope_gets_404_on_every_snapshot_url(
    client, org, team_funnel, username
):
    from tests.factories import make_employee

    if username == "manager_of_south":
        user = make_employee(org.south_sales, "sales_manager", username="south_mgr").user
    else:
        user = getattr(org, username)
    client.force_login(user)
    before = Snapshot.objects.values().get(pk=team_funnel.pk)
    for name in ("snapshot", "snapshot_status", "snapshot_export"):
        url = reverse(f"analytics:{name}", kwargs={"pk": team_funnel.pk})
        assert client.get(url).status_code == 404, url
    for name in ("snapshot_recompute",):
        url = reverse(f"analytics:{name}", kwargs={"pk": team_funnel.pk})
        assert client.post(url, {"stage": 1}).status_code == 404, url
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("analytics:snapshot", kwargs={"pk": 999999})).status_code == 404
    assert Snapshot.objects.values().get(pk=team_funnel.pk) == before


@pytest.mark.parametrize("username", ["manager", "branch_mgr", "executive"])
def test_users_whose_scope_covers_it_open_the_snapshot(client, org, team_funnel, username):
    client.force_login(getattr(org, username))
    url = reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk})
    assert client.get(url).status_code == 200


def test_admin_copies_the_success_rate_into_the_default_probability(
    client, org, stages, team_funnel, admin_user
):
    client.force_login(admin_user)
    url = reverse("projects:stage_probability")
    page = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}))
    assert b'data-action="success-rate"' in page.content
    assert b'name="probability" value="50"' in page.content  # the funnel's success rate
    response = client.post(url, {"stage": stages["lead"].pk, "probability": "50"}, follow=True)
    assert response.status_code == 200
    stages["lead"].refresh_from_db()
    assert stages["lead"].probability == 50
    assert "is now 50%" in response.content.decode()


def test_a_stage_without_success_rate_is_left_alone(client, stages, team_funnel, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}))
    row = page.content.decode().split(f'data-stage="{stages["tender"].pk}"')[1].split("</tr>")[0]
    assert 'data-action="success-rate"' not in row  # nothing to copy
    url = reverse("projects:stage_probability")
    response = client.post(url, {"stage": stages["tender"].pk}, follow=True)
    assert "no success rate" in response.content.decode()
    stages["tender"].refresh_from_db()
    assert stages["tender"].probability == 60


def test_others_may_not_change_probabilities(client, org, stages, team_funnel):
    client.force_login(org.manager)  # sees the funnel, may not change stages
    page = client.get(reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}))
    assert b'data-action="success-rate"' not in page.content
    url = reverse("projects:stage_probability")
    assert client.post(url, {"stage": stages["lead"].pk, "probability": "50"}).status_code == 403
    stages["lead"].refresh_from_db()
    assert stages["lead"].probability == 10


def test_a_requester_who_lost_the_scope_gets_a_failed_snapshot(org, team_funnel):
    from crm.models import Employee

    Employee.objects.filter(user=org.manager).update(department=org.south_sales)
    assert compute_snapshot.delay(team_funnel.pk).get()["status"] == "failed"
    team_funnel.refresh_from_db()
    assert team_funnel.error
    assert team_funnel.figures is not None  # the last good figures stay


def test_the_page_in_chinese(client, org, team_funnel, stages):
    client.force_login(org.manager)
    html = client.get(
        reverse("analytics:snapshot", kwargs={"pk": team_funnel.pk}),
        headers={"accept-language": "zh-hans"},
    ).content.decode()
    assert stages["lead"].name in html  # 线索确认
    assert Stage.objects.filter(kind="open").count() >= 5

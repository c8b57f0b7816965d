"""A funnel snapshot computed by a real Celery worker on Redis (runs when
REDIS_URL is set, as in CI; the other tests run the task eagerly).

The page queues the task after its commit; a worker process started here,
on its own queue and on the test database, computes it; the page polls the
status endpoint and then shows the figures -- the path production takes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from analytics.models import Snapshot
from projects.deals.services import opportunity_move
from tests.analytics.conftest import local
from tests.factories import make_opportunity

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _test_database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def _forget_routes(celery_app) -> None:
    celery_app.amqp._rtable = None
    celery_app.amqp.__dict__.pop("router", None)


@pytest.fixture
def worker(monkeypatch, tmp_path):
    """A worker on a queue of its own, reading the test database; the
    analytics tasks of this process are routed to it."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: Celery runs eagerly; CI sets it and runs this test")
    from crm.celery import app as celery_app

    queue = f"test-analytics-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(celery_app.conf, "task_routes", {"analytics.*": {"queue": queue}})
    _forget_routes(celery_app)  # Celery caches the routing table it built first
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "crm.settings",
            "DATABASE_URL": _test_database_url(),
        },
        stdout=(tmp_path / "worker.log").open("wb"),  # a pipe nobody reads would fill up
        stderr=subprocess.STDOUT,
    )
    process.log = tmp_path / "worker.log"
    try:
        # Ready when it answers: messages sent before it listens can be lost.
        from crm.tasks import ping

        assert ping.apply_async(queue=queue).get(timeout=90)["pid"] == process.pid
        yield process
    finally:
        _forget_routes(celery_app)
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_the_page_queues_a_worker_computes_the_page_shows(worker, client, org, stages):
    deal = make_opportunity(org.rep, stage=stages["lead"], at=local(date(2025, 1, 10)))
    opportunity_move(
        opportunity=deal, to_stage=stages["needs"], by=org.rep, at=local(date(2025, 2, 10))
    )
    client.force_login(org.manager)
    url = reverse("analytics:funnel:index")
    params = {"start": "2025-01-01", "end": "2025-04-01", "scope": f"department:{org.team1.pk}"}

    first = client.get(url, params).content.decode()
    snapshot = Snapshot.objects.get()
    assert snapshot.status in ("queued", "running", "done")
    if snapshot.status != "done":
        assert "data-snapshot-progress" in first and 'data-busy="1"' in first

    status_url = reverse("analytics:snapshot_status", kwargs={"pk": snapshot.pk})
    deadline = time.monotonic() + 90
    while (data := client.get(status_url).json())["busy"]:
        assert worker.poll() is None, worker.log.read_text()
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
    assert data["status"] == "done", data

    snapshot.refresh_from_db()
    rows = {row["code"]: row for row in snapshot.figures["stages"]}
    assert (rows["lead"]["inflow"], rows["lead"]["outflow"], rows["needs"]["closing"]) == (1, 1, 1)
    shown = client.get(url, params).content.decode()
    assert f'<tr data-stage="{stages["needs"].pk}">' in shown


def test_stage_changes_refresh_the_snapshot_on_the_worker_once(worker, client, org, stages):
    """Two moves in a row mark the funnel stale and queue one refresh
    (debounced); the worker recomputes it without anyone asking."""
    from django.core.cache import cache

    from analytics.snapshots import DEBOUNCE_KEY

    deal = make_opportunity(org.rep, stage=stages["lead"])
    client.force_login(org.manager)
    client.get(reverse("analytics:funnel:index"), {"scope": f"department:{org.team1.pk}"})
    snapshot = Snapshot.objects.get()
    deadline = time.monotonic() + 90
    while Snapshot.objects.get(pk=snapshot.pk).status != "done":
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
    first = Snapshot.objects.get(pk=snapshot.pk).computed_at

    opportunity_move(opportunity=deal, to_stage=stages["needs"], by=org.rep)
    assert Snapshot.objects.get(pk=snapshot.pk).stale is True
    assert cache.get(DEBOUNCE_KEY) is not None  # one refresh queued ...
    opportunity_move(opportunity=deal, to_stage=stages["solution"], by=org.rep)  # ... not two

    deadline = time.monotonic() + 90
    while (current := Snapshot.objects.get(pk=snapshot.pk)).computed_at == first or current.stale:
        assert worker.poll() is None, worker.log.read_text()
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
    rows = {row["code"]: row for row in current.figures["stages"]}
    assert (rows["lead"]["closing"], rows["needs"]["outflow"], rows["solution"]["closing"]) == (
        0,
        1,
        1,
    )

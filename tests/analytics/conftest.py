from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone

from projects.deals import defaults
from projects.models import LossReason, Process, Stage


@pytest.fixture(autouse=True)
def _eager_celery(monkeypatch):
    """Snapshot tasks run here, in this process, even where REDIS_URL points
    Celery at a broker (CI); test_tasks.py has the one real-worker test."""
    from crm.celery import app as celery_app

    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)


@pytest.fixture
def processes(db):
    defaults.install()
    return {p.code: p for p in Process.objects.all()}


@pytest.fixture
def stages(processes):
    return {s.code: s for s in Stage.objects.filter(process=processes["complex"])}


@pytest.fixture
def standard_stages(processes):
    return {s.code: s for s in Stage.objects.filter(process=processes["standard"])}


@pytest.fixture
def loss_reason(processes):
    return LossReason.objects.order_by("order").first()


def local(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))

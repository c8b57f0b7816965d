"""The beat schedule holds every periodic task the code defines."""

from __future__ import annotations

from django.apps import apps

from crm.celery import app as celery_app


def _declared() -> dict:
    return {
        name: entry
        for config in apps.get_app_configs()
        for name, entry in getattr(config, "periodic_tasks", {}).items()
    }


def test_every_declared_periodic_task_is_scheduled_and_exists():
    celery_app.loader.import_default_modules()
    celery_app.finalize()
    schedule = celery_app.conf.beat_schedule
    declared = _declared()
    assert {"dunning", "import-files-cleanup"} <= set(declared)
    for name, entry in declared.items():
        assert schedule[name] == entry
        assert entry["task"] in celery_app.tasks, entry["task"]


def test_every_task_documented_as_periodic_is_scheduled():
    """A task whose docstring says it runs on Celery beat is in the schedule."""
    celery_app.loader.import_default_modules()
    celery_app.finalize()
    scheduled = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    periodic = {
        name for name, task in celery_app.tasks.items() if "(Celery beat)" in (task.__doc__ or "")
    }
    assert periodic, "no task says it is periodic"
    assert periodic <= scheduled

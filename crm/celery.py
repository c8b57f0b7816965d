"""The Celery application. Workers: ``celery -A crm worker -Q default,reports,notifications``;
the periodic tasks: ``celery -A crm beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def periodic_tasks() -> dict:
    """Every app's ``AppConfig.periodic_tasks`` (name → beat entry), merged."""
    from django.apps import apps

    schedule: dict = {}
    for config in apps.get_app_configs():
        for name, entry in getattr(config, "periodic_tasks", {}).items():
            if name in schedule:
                raise ValueError(f"Two apps declare the periodic task {name!r}.")
            schedule[name] = entry
    return schedule


@app.on_after_finalize.connect
def _schedule_periodic_tasks(sender, **kwargs) -> None:
    """Beat reads ``beat_schedule`` after the app is finalised, when Django's
    apps are loaded: the apps' periodic tasks join what the settings hold."""
    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **periodic_tasks()}

"""What every approval flow shares: the link of a step."""

from __future__ import annotations

from django.urls import get_resolver


def task_url(task) -> str:
    """The link of a workflow step (what the inbox and e-mails point to)."""
    get_resolver().url_patterns  # noqa: B018 - mounts the flows' URLs on first use
    return task.flow_task.reverse("index", args=[task.process_id, task.pk])

"""Celery tasks of the projects app. Thin: they call services."""

from __future__ import annotations

from celery import shared_task

from projects.contracts import services as contracts


@shared_task(name="projects.mark_overdue_instalments")
def mark_overdue_instalments() -> int:
    """Daily (Celery beat): overdue instalments and their dunning to-dos."""
    return contracts.mark_overdue_instalments()

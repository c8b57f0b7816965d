"""Background work of the service app: thin tasks calling the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="service.escalate_sla_breaches")
def escalate_sla_breaches() -> int:
    """Mark open requests past their response or resolution due time, once
    each, and tell the assignee and the branch's service managers (Celery
    beat, every 10 minutes)."""
    from service.services import service_requests_escalate

    return service_requests_escalate()


@shared_task(name="service.generate_care_tasks")
def generate_care_tasks() -> int:
    """Make the care to-dos the care rules call for, never twice for the same
    occasion (Celery beat, daily)."""
    from service.care import care_tasks_generate

    return care_tasks_generate()

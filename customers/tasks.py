"""Celery tasks of the Customers area. Thin: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from customers.imports import customer_import, import_job_check
from customers.models import ImportJob


def _job(job_id: int) -> ImportJob:
    return ImportJob.objects.select_related("created_by").get(pk=job_id)


@shared_task(name="customers.import_check")
def import_check(job_id: int) -> str:
    """Check an uploaded file (the preview) outside the request."""
    return import_job_check(job=_job(job_id)).status


@shared_task(name="customers.import_run")
def import_run(job_id: int) -> str:
    """Import a checked, confirmed file."""
    job = _job(job_id)
    return customer_import(job=job, by=job.created_by, on_duplicate=job.on_duplicate).status


@shared_task(name="customers.refresh_search")
def refresh_search(*, kind: str, ids: list[int]) -> int:
    """Search documents of imported customers or contacts (after a large import)."""
    from customers.search import refresh_contact_search, refresh_customer_search

    if kind == ImportJob.Kind.CONTACTS:
        refresh_contact_search(contact_ids=ids)
    else:
        refresh_customer_search(customer_ids=ids)
    return len(ids)


@shared_task(name="customers.import_files_cleanup")
def import_files_cleanup() -> int:
    """Daily (Celery beat): uploaded import files older than a week go."""
    from customers.imports import import_files_cleanup as cleanup

    return cleanup()


@shared_task(name="customers.import_jobs_unstick")
def import_jobs_unstick() -> int:
    """Every 15 minutes (Celery beat): jobs whose worker was lost end as failed."""
    from customers.imports import import_jobs_unstick as unstick

    return unstick()

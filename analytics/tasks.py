"""Celery tasks of analytics: thin, they take ids and call the snapshot
services. Routed to the ``reports`` queue (``CELERY_TASK_ROUTES``)."""

from __future__ import annotations

from celery import shared_task

from analytics.snapshots import snapshot_compute, snapshots_refresh_stale


@shared_task(name="analytics.compute_snapshot")
def compute_snapshot(snapshot_id: int) -> dict:
    snapshot = snapshot_compute(snapshot_id=snapshot_id)
    return {"id": snapshot.pk, "status": snapshot.status}


@shared_task(name="analytics.refresh_stale_snapshots")
def refresh_stale_snapshots() -> int:
    return snapshots_refresh_stale()

"""Background work on a real Celery worker and Redis (runs when REDIS_URL is set)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

from crm.tasks import ping

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def worker_queue():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: Celery runs eagerly; CI sets it and runs this test")
    queue = f"test-{uuid.uuid4().hex[:8]}"
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
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_a_task_runs_on_a_real_worker(worker_queue):
    queue, process = worker_queue
    assert settings.CELERY_TASK_ALWAYS_EAGER is False

    result = ping.apply_async(queue=queue).get(timeout=90)

    assert result["pong"] is True
    assert result["pid"] == process.pid  # ran in the worker process, not here
    assert result["pid"] != os.getpid()

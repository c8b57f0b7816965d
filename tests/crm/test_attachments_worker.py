"""Text extraction of an attachment on a real Celery worker and Redis (runs
when REDIS_URL is set, as in CI; the other tests run the task eagerly).

The upload queues the task after its commit; a worker process started here,
on its own queue, the test database and the same MEDIA_ROOT, reads the PDF
and indexes its text; the one-box search then finds it by a word inside.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from crm.attachments.models import Attachment
from crm.attachments.pdf import simple_pdf
from crm.attachments.services import attachment_upload
from tests.factories import make_customer

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
def worker(monkeypatch, tmp_path, settings):
    """A worker on a queue of its own, reading the test database and the
    test's MEDIA_ROOT; the extraction task of this process is routed to it."""
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: Celery runs eagerly; CI sets it and runs this test")
    from crm.celery import app as celery_app

    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    queue = f"test-attachments-{uuid.uuid4().hex[:8]}"
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.setitem(
        celery_app.conf, "task_routes", {"crm.extract_attachment_text": {"queue": queue}}
    )
    _forget_routes(celery_app)
    log = tmp_path / "worker.log"
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
            "DJANGO_MEDIA_ROOT": str(media),
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    process.log = log
    try:
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


def test_the_worker_reads_the_text_and_the_search_finds_it(worker, org, client):
    customer = make_customer(org.rep)
    pdf = simple_pdf([["变频器选型报告"], ["第二页：节能改造效益分析"]])

    attachment = attachment_upload(
        record=customer, file=SimpleUploadedFile("选型报告.pdf", pdf), by=org.rep
    )

    deadline = time.monotonic() + 90
    while (current := Attachment.objects.get(pk=attachment.pk)).extraction == "pending":
        assert worker.poll() is None, worker.log.read_text()
        assert time.monotonic() < deadline, worker.log.read_text()
        time.sleep(0.5)
    assert current.extraction == "done", (current.extraction_error, worker.log.read_text())
    assert "节能改造效益分析" in current.text
    client.force_login(org.rep)
    page = client.get("/search/", {"q": "节能改造"}).content.decode()
    assert "选型报告.pdf" in page

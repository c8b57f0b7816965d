"""Receipts on a claim through the shared attachments card: attached by the
employee, downloaded only within the claim's scope (404 outside)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.attachments.models import Attachment
from expenses.services import claim_create
from tests.crm.test_attachments import pdf_file

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    from crm.celery import app

    settings.MEDIA_ROOT = tmp_path
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    yield tmp_path
    app.conf.task_always_eager = previous


def test_a_receipt_is_attached_and_downloaded_only_within_the_scope(client, org, travel):
    claim = claim_create(
        by=org.rep, category=travel, amount=Decimal("99"), spent_on=date(2030, 3, 1)
    )
    card = f"/attachments/{claim._meta.label_lower}/{claim.pk}/"
    client.force_login(org.rep)
    assert (
        'data-testid="attachments-frame"' in client.get(claim.get_absolute_url()).content.decode()
    )
    response = client.post(card, {"file": pdf_file("发票.pdf")})
    assert response.status_code == 303
    attachment = Attachment.objects.get()
    refused = client.post(card, {"file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00" * 10)})
    assert Attachment.objects.count() == 1 and refused.status_code == 422
    client.force_login(org.manager)
    assert client.get(f"/attachments/file/{attachment.pk}/").status_code == 200
    client.force_login(org.rep2)
    assert client.get(card).status_code == 404
    assert client.get(f"/attachments/file/{attachment.pk}/").status_code == 404

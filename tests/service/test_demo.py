"""The service demo gives the demo ``service`` agent a queue and work, and
the demo rep care to-dos; seeding again adds nothing."""

import pytest
from django.core.management import call_command

from service.models import CareTask, CareTaskStatus, RequestStatus, ServiceRequest

pytestmark = pytest.mark.django_db


def test_the_service_demo_fills_the_agents_queue_once(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("seed_demo", verbosity=0)

    requests = ServiceRequest.objects.all()
    assert 25 <= requests.count() <= 35
    assert set(requests.values_list("branch__code", flat=True)) == {"east", "south"}
    assert set(requests.values_list("status", flat=True)) == set(RequestStatus.values)
    assert requests.queue(branch_id=requests.filter(branch__code="east")[0].branch_id).count() == 6
    assert requests.filter(owner__username="service", assigned_at__isnull=False).count() >= 8
    assert requests.breached().exists()
    assert requests.exclude(response_escalated_at=None).exists()
    assert requests.filter(request_type="complaint").exclude(attributions=None).exists()
    assert CareTask.objects.filter(owner__username="rep", status=CareTaskStatus.OPEN).exists()
    assert CareTask.objects.filter(status=CareTaskStatus.DONE).exists()
    assert CareTask.objects.filter(status=CareTaskStatus.SKIPPED).exists()
    assert CareTask.objects.exclude(contact=None).exists()  # birthdays

    counts = (requests.count(), CareTask.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (ServiceRequest.objects.count(), CareTask.objects.count()) == counts

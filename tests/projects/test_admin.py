"""Admins configure processes, stages, questionnaires and loss reasons."""

import pytest
from django.urls import reverse

from projects.models import Process, Question
from tests.factories import make_opportunity

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "name",
    [
        "admin:projects_process_changelist",
        "admin:projects_question_changelist",
        "admin:projects_lossreason_changelist",
        "admin:projects_product_changelist",
        "admin:projects_opportunity_changelist",
    ],
)
def test_admin_lists_load(org, processes, admin_client, name):
    make_opportunity(org.rep)
    assert admin_client.get(reverse(name)).status_code == 200


def test_admin_change_pages_load(org, processes, admin_client):
    deal = make_opportunity(org.rep)
    process = Process.objects.get(code="complex")
    question = Question.objects.filter(process=process).first()
    for url in (
        reverse("admin:projects_process_change", args=[process.pk]),
        reverse("admin:projects_question_change", args=[question.pk]),
        reverse("admin:projects_opportunity_change", args=[deal.pk]),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert (
        "线索确认"
        in admin_client.get(
            reverse("admin:projects_process_change", args=[process.pk])
        ).content.decode()
    )

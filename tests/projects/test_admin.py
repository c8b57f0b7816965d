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
        "admin:approvals_approvalrule_changelist",
        "admin:approvals_approvalrule_add",
        "admin:projects_quote_changelist",
        "admin:projects_salesorder_changelist",
        "admin:projects_contract_changelist",
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


def test_admin_adds_an_approval_rule(org, admin_client):
    from approvals.models import ApprovalRule
    from crm.models import Role

    role = Role.objects.get(code="sales_manager")
    response = admin_client.post(
        reverse("admin:approvals_approvalrule_add"),
        {
            "name": "折扣超过 10%",
            "document_type": "quote",
            "level": 1,
            "is_active": "on",
            "discount_above": "10",
            "approver_role": role.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = ApprovalRule.objects.get()
    assert (rule.discount_above, rule.approver_role) == (10, role)
    # A rule without an approver is refused.
    response = admin_client.post(
        reverse("admin:approvals_approvalrule_add"),
        {"name": "x", "document_type": "quote", "level": 1},
    )
    assert response.status_code == 200 and ApprovalRule.objects.count() == 1

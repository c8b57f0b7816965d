"""Admins configure the organisation and the roles' data scopes in Django admin."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.models import DataScope, Role

pytestmark = pytest.mark.django_db
ADMIN_REQUIRED = {"type": "end_customer", "credit_status": "normal", "lifecycle_stage": "target"}


@pytest.mark.parametrize(
    "name",
    [
        "admin:crm_branch_changelist",
        "admin:crm_department_changelist",
        "admin:crm_employee_changelist",
        "admin:auth_group_changelist",
        "admin:auth_user_changelist",
        "admin:customers_customer_changelist",
    ],
)
def test_admin_lists_load(org, admin_client, name):
    assert admin_client.get(reverse(name)).status_code == 200


def test_admin_edits_a_roles_data_scope(org, admin_client):
    group = Group.objects.get(role__code=Role.Code.SALES_REP)
    role = group.role
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "name": group.name,
            "permissions": list(group.permissions.values_list("pk", flat=True)),
            "role-TOTAL_FORMS": "1",
            "role-INITIAL_FORMS": "1",
            "role-MIN_NUM_FORMS": "0",
            "role-MAX_NUM_FORMS": "1",
            "role-0-id": role.pk,
            "role-0-group": group.pk,
            "role-0-code": role.code,
            "role-0-data_scope": DataScope.DEPARTMENT,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role.refresh_from_db()
    assert role.data_scope == DataScope.DEPARTMENT


def test_non_staff_cannot_open_admin(org, client):
    client.force_login(org.rep)
    response = client.get(reverse("admin:crm_employee_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_changes_go_through_the_services(org, admin_client, admin_user):
    from customers.models import Customer
    from tests.factories import make_customer

    customer = make_customer(org.rep, name="宁波瑞丰物流有限公司")
    response = admin_client.post(
        reverse("admin:customers_customer_change", args=[customer.pk]),
        {**ADMIN_REQUIRED, "name": customer.name, "owner": org.rep2.pk},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(pk=customer.pk)
    # The owner moved to South China: department and branch followed.
    assert (customer.owner, customer.department, customer.branch) == (
        org.rep2,
        org.south_sales,
        org.south,
    )
    assert customer.history.first().history_user == admin_user


def test_admin_creates_a_customer_for_an_employee_only(org, admin_client, django_user_model):
    from customers.models import Customer

    url = reverse("admin:customers_customer_add")
    outsider = django_user_model.objects.create_user("outsider", password="x" * 12)
    response = admin_client.post(
        url, {**ADMIN_REQUIRED, "name": "无锡新源能源有限公司", "owner": outsider.pk}
    )
    assert response.status_code == 200  # refused: not an employee
    assert not Customer.objects.exists()

    response = admin_client.post(
        url, {**ADMIN_REQUIRED, "name": "无锡新源能源有限公司", "owner": org.rep.pk}
    )
    assert response.status_code == 302
    assert Customer.objects.get().branch == org.east

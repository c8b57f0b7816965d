"""ORG-4: a leaving rep's records move to a colleague in one step, with history."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from crm.handover import (
    HANDOVER_OUTSIDE_SCOPE,
    HANDOVER_TO_INACTIVE,
    HANDOVER_TO_SELF,
    handover_perform,
)
from crm.models import Handover
from customers.models import Contact, Customer, FollowUp
from tests.factories import make_contact, make_customer, make_follow_up

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep_book(org):
    customers = [make_customer(org.rep) for _ in range(3)]
    for customer in customers:
        make_contact(customer)
        make_follow_up(customer, by=org.rep, next_step="回访", next_step_date="2026-12-01")
    make_customer(org.rep_b)  # someone else's, must not move
    return customers


def test_everything_the_rep_owns_moves_with_history(org, rep_book):
    handover = handover_perform(
        from_user=org.rep, to_user=org.rep2, by=org.executive, reason="离职"
    )

    moved = {label: count for label, count in handover.summary.items() if count}
    assert moved == {
        "customers.Customer": 3,
        "customers.Contact": 3,
        "customers.FollowUp": 3,
    }
    assert "projects.Opportunity" in handover.summary  # every scoped model takes part
    for model in (Customer, Contact, FollowUp):
        assert not model.objects.filter(owner=org.rep).exists()
        moved = model.objects.filter(owner=org.rep2)
        assert moved.count() == 3
        # Department and branch follow the new owner (South China).
        assert set(moved.values_list("department", "branch").distinct()) == {
            (org.south_sales.pk, org.south.pk)
        }
    latest = Customer.history.filter(id=rep_book[0].pk).first()
    assert (latest.history_user, latest.history_change_reason) == (org.executive, "离职")
    assert Customer.objects.filter(owner=org.rep_b).count() == 1


def test_refusals_change_nothing(org, rep_book):
    with pytest.raises(ValidationError) as same:
        handover_perform(from_user=org.rep, to_user=org.rep, by=org.manager)
    assert same.value.messages == [str(HANDOVER_TO_SELF)]

    # A sales manager's scope is their department: South China is outside.
    with pytest.raises(ValidationError) as outside:
        handover_perform(from_user=org.rep, to_user=org.rep2, by=org.manager)
    assert outside.value.messages == [str(HANDOVER_OUTSIDE_SCOPE)]

    org.rep_b.is_active = False
    org.rep_b.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as inactive:
        handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.manager)
    assert inactive.value.messages == [str(HANDOVER_TO_INACTIVE)]

    assert Customer.objects.filter(owner=org.rep).count() == 3
    assert not Handover.objects.exists()


def test_a_rep_who_has_left_can_still_be_handed_over(org, rep_book):
    employee = org.rep.employee
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    handover_perform(from_user=org.rep, to_user=org.rep_b, by=org.manager)
    assert Customer.objects.filter(owner=org.rep_b).count() == 4


def test_the_page_previews_then_hands_over(org, rep_book, client):
    client.force_login(org.manager)
    url = reverse("organisation:handover")
    data = {
        "from_employee": org.rep.employee.pk,
        "to_employee": org.rep_b.employee.pk,
        "reason": "调岗",
    }

    preview = client.post(url, data)
    assert preview.status_code == 200
    assert 'data-testid="handover-preview"' in preview.content.decode()
    assert Customer.objects.filter(owner=org.rep).count() == 3

    done = client.post(url, {**data, "confirm": "True"})
    assert done.status_code == 302
    assert Customer.objects.filter(owner=org.rep_b).count() == 4
    assert Handover.objects.get().reason == "调岗"


def test_the_page_offers_only_employees_in_scope(org, client):
    client.force_login(org.manager)
    page = client.get(reverse("organisation:handover")).content.decode()

    def offered(employee):  # viewflow renders the options as JSON
        return f"&quot;value&quot;: &quot;{employee.pk}&quot;" in page

    assert offered(org.rep.employee)
    assert not offered(org.rep2.employee)  # South China


def test_reps_may_not_hand_over(org, rep_book, client):
    client.force_login(org.rep_b)
    url = reverse("organisation:handover")
    assert client.get(url).status_code == 403
    response = client.post(
        url,
        {
            "from_employee": org.rep.employee.pk,
            "to_employee": org.rep_b.employee.pk,
            "confirm": "True",
        },
    )
    assert response.status_code == 403
    assert Customer.objects.filter(owner=org.rep).count() == 3

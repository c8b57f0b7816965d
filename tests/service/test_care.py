"""Care plans (SVC-2): rules make care to-dos for the customers' owners on
schedule, never twice for the same occasion; owners mark them done or
skipped, and that is kept."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from projects.models import Delivery
from service.care import (
    SKIP_REASON_REQUIRED,
    care_task_finish,
    care_tasks_generate,
)
from service.models import CareRule, CareTask, CareTaskStatus
from tests.factories import make_contact, make_customer, make_order

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)


def rule(kind, **fields):
    fields.setdefault("name", kind)
    fields.setdefault("task_title", "关怀")
    return CareRule.objects.create(kind=kind, **fields)


def test_after_delivery_one_task_per_order_for_the_customers_owner(org):
    customer = make_customer(org.rep)
    order = make_order(org.rep, customer=customer)
    # Two partial deliveries: the first one counts.
    Delivery.objects.create(order=order, delivered_on=TODAY - timedelta(days=5), by=org.rep)
    Delivery.objects.create(order=order, delivered_on=TODAY - timedelta(days=2), by=org.rep)
    old = make_order(org.rep, customer=customer)
    Delivery.objects.create(order=old, delivered_on=TODAY - timedelta(days=90), by=org.rep)
    care = rule(CareRule.Kind.AFTER_DELIVERY, days_after=7, lead_days=7)

    assert care_tasks_generate(today=TODAY) == 1

    task = CareTask.objects.get()
    assert (task.customer, task.owner, task.rule) == (customer, org.rep, care)
    assert task.due_date == TODAY + timedelta(days=2)
    assert task.occasion == f"order:{order.pk}"
    assert (task.department, task.branch) == (customer.department, customer.branch)
    assert task.status == CareTaskStatus.OPEN


def test_every_n_months_once_per_period_for_matching_customers(org):
    key = make_customer(org.rep, value_grade="A")
    make_customer(org.rep, value_grade="C")
    make_customer(org.rep2, value_grade="A", type="distributor")
    rule(CareRule.Kind.PERIODIC, every_months=3, value_grade="A", customer_type="end_customer")

    assert care_tasks_generate(today=TODAY) == 1
    assert care_tasks_generate(today=TODAY + timedelta(days=20)) == 0  # same quarter

    task = CareTask.objects.get()
    assert task.customer == key and task.occasion == "every3m:2026-01"
    assert task.due_date == TODAY  # the rule came in mid-period

    care_tasks_generate(today=date(2026, 3, 28))  # the next quarter is within 7 days
    assert list(CareTask.objects.order_by("due_date").values_list("occasion", "due_date")) == [
        ("every3m:2026-01", TODAY),
        ("every3m:2026-04", date(2026, 4, 1)),
    ]


def test_birthdays_give_a_task_per_contact_and_year(org):
    customer = make_customer(org.rep)
    soon = make_contact(customer, birthday=date(1985, 3, 5))
    make_contact(customer, birthday=date(1985, 6, 1))  # not within the week
    make_contact(customer)  # no birthday
    care = rule(CareRule.Kind.BIRTHDAY, lead_days=7)

    assert care_tasks_generate(today=TODAY) == 1
    assert care_tasks_generate(today=TODAY + timedelta(days=1)) == 0

    task = CareTask.objects.get()
    assert (task.contact, task.customer, task.owner) == (soon, customer, org.rep)
    assert task.due_date == date(2026, 3, 5)
    assert task.occasion == f"birthday:{soon.pk}:2026"
    assert task.title == f"{care.task_title} · {soon.name}"


def test_a_29_february_birthday_counts_on_the_28th_in_other_years(org):
    leap = make_contact(make_customer(org.rep), birthday=date(1988, 2, 29))
    rule(CareRule.Kind.BIRTHDAY, lead_days=3)

    care_tasks_generate(today=date(2026, 2, 26))

    assert CareTask.objects.get().contact == leap
    assert CareTask.objects.get().due_date == date(2026, 2, 28)


def test_holidays_for_the_rules_customers(org):
    east = make_customer(org.rep)
    make_customer(org.rep2)  # another branch
    rule(
        CareRule.Kind.HOLIDAY,
        holidays=[date(2026, 3, 8), date(2026, 10, 1)],
        branch=org.east,
        lead_days=7,
    )

    assert care_tasks_generate(today=TODAY) == 1
    assert care_tasks_generate(today=TODAY) == 0

    task = CareTask.objects.get()
    assert (task.customer, task.due_date, task.occasion) == (
        east,
        date(2026, 3, 8),
        "holiday:2026-03-08",
    )


def test_archived_and_ownerless_customers_and_inactive_rules_get_nothing(org):
    from customers.services import customer_archive

    customer = make_customer(org.rep)
    customer_archive(customer=customer, by=org.rep)
    rule(CareRule.Kind.HOLIDAY, holidays=[TODAY])
    rule(CareRule.Kind.HOLIDAY, name="off", holidays=[TODAY], is_active=False)
    make_customer(org.rep2)

    assert care_tasks_generate(today=TODAY) == 1
    assert CareTask.objects.get().customer.owner == org.rep2


def test_the_database_refuses_a_second_task_for_the_same_occasion(org):
    from django.db import IntegrityError, transaction

    from tests.factories import make_care_task

    task = make_care_task(org.rep, due=TODAY)
    duplicate = CareTask(
        rule=task.rule,
        customer=task.customer,
        occasion=task.occasion,
        title="again",
        due_date=TODAY,
        owner=org.rep,
        department=task.department,
        branch=task.branch,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_the_beat_task_makes_the_tasks(org):
    from django.utils import timezone

    from service.tasks import generate_care_tasks

    make_customer(org.rep)
    rule(CareRule.Kind.HOLIDAY, holidays=[timezone.localdate()])

    assert generate_care_tasks() == 1
    assert generate_care_tasks() == 0


# --- Done and skipped ------------------------------------------------------------------


def test_the_owner_marks_a_task_done_and_it_is_kept(org):
    from tests.factories import make_care_task

    task = make_care_task(org.rep, due=TODAY)

    done = care_task_finish(task=task, status=CareTaskStatus.DONE, by=org.rep, note="已电话问候")

    assert (done.status, done.note, done.finished_by) == ("done", "已电话问候", org.rep)
    assert done.finished_at is not None
    with pytest.raises(ValidationError):
        care_task_finish(task=task, status=CareTaskStatus.SKIPPED, by=org.rep, note="x")


def test_skipping_needs_a_reason(org):
    from tests.factories import make_care_task

    task = make_care_task(org.rep, due=TODAY)

    with pytest.raises(ValidationError) as error:
        care_task_finish(task=task, status=CareTaskStatus.SKIPPED, by=org.rep)

    assert error.value.message_dict == {"note": [str(SKIP_REASON_REQUIRED)]}
    task.refresh_from_db()
    assert task.status == CareTaskStatus.OPEN


def test_nobody_outside_the_scope_or_without_the_permission_finishes_a_task(org):
    from tests.factories import make_care_task

    task = make_care_task(org.rep, due=TODAY)

    with pytest.raises(Http404):
        care_task_finish(task=task, status=CareTaskStatus.DONE, by=org.rep_b)
    with pytest.raises(PermissionDenied):
        care_task_finish(task=task, status=CareTaskStatus.DONE, by=org.secretary)
    care_task_finish(task=task, status=CareTaskStatus.DONE, by=org.manager)  # their manager may
    task.refresh_from_db()
    assert task.finished_by == org.manager

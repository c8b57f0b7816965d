"""Proactive care (客户关怀, SVC-2): care rules give customers' owners care
to-dos on schedule, and the owners mark them done or skipped.

``care_tasks_generate`` is run daily by Celery beat. For every active rule it
finds the occasions falling due within ``rule.lead_days`` (and up to
``CATCH_UP_DAYS`` back, so a day the scheduler missed is made up) and makes
one task per customer and occasion that has none yet. An occasion has a
stable key (``order:<id>``, ``every3m:2026-04``, ``birthday:<contact>:2026``,
``holiday:2026-10-01``); ``(rule, customer, occasion)`` is unique in the
database, so running it twice -- or two workers at once -- never makes a
task twice. Which customers are concerned is decided in SQL; the rows built
are only the new tasks.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.scope import lock_object
from customers.models import Contact, Customer
from projects.models import Delivery
from service.models import CareRule, CareTask, CareTaskStatus

#: How far back a run still makes the tasks of occasions it missed.
CATCH_UP_DAYS = 7

NOT_ALLOWED = _("You are not allowed to change this care task.")
ALREADY_FINISHED = _("This care task is already done or skipped.")
SKIP_REASON_REQUIRED = _("Say why the care task is skipped.")
BAD_FINISH = _("A care task is either done or skipped.")


def _customers(rule: CareRule) -> QuerySet[Customer]:
    """The customers a rule concerns: active, with an owner, matching its
    conditions."""
    customers = Customer.objects.filter(is_archived=False, owner__isnull=False)
    if rule.customer_type:
        customers = customers.filter(type=rule.customer_type)
    if rule.value_grade:
        customers = customers.filter(value_grade=rule.value_grade)
    if rule.branch_id:
        customers = customers.filter(branch_id=rule.branch_id)
    return customers


def _without_task(customers: QuerySet[Customer], rule: CareRule, occasion: str):
    return customers.filter(
        ~Exists(CareTask.objects.filter(customer=OuterRef("pk"), rule=rule, occasion=occasion))
    )


def _task(rule: CareRule, *, customer: dict, occasion: str, due: date, contact=None, title=""):
    return CareTask(
        rule=rule,
        customer_id=customer["id"],
        owner_id=customer["owner_id"],
        department_id=customer["department_id"],
        branch_id=customer["branch_id"],
        contact_id=contact,
        occasion=occasion,
        title=(title or rule.task_title)[:200],
        due_date=due,
    )


_CUSTOMER_COLUMNS = ("id", "owner_id", "department_id", "branch_id")


def _after_delivery(rule: CareRule, start: date, end: date) -> list[CareTask]:
    """N days after an order's first delivery: one task per order."""
    days = timedelta(days=rule.days_after or 0)
    customers = _customers(rule)
    firsts = (
        Delivery.objects.filter(order__customer__in=customers.values("pk"))
        .values("order_id", "order__customer_id")
        .annotate(first=Min("delivered_on"))
        .filter(first__gte=start - days, first__lte=end - days)
    )
    wanted = {
        (row["order__customer_id"], f"order:{row['order_id']}"): row["first"] + days
        for row in firsts
    }
    if not wanted:
        return []
    existing = set(
        CareTask.objects.filter(
            rule=rule, occasion__in={occasion for _c, occasion in wanted}
        ).values_list("customer_id", "occasion")
    )
    rows = {
        row["id"]: row
        for row in Customer.objects.filter(pk__in={c for c, _o in wanted}).values(
            *_CUSTOMER_COLUMNS
        )
    }
    return [
        _task(rule, customer=rows[customer], occasion=occasion, due=due)
        for (customer, occasion), due in sorted(wanted.items())
        if (customer, occasion) not in existing
    ]


def _period_start(day: date, months: int) -> date:
    index = ((day.year * 12 + day.month - 1) // months) * months
    return date(index // 12, index % 12 + 1, 1)


def _periodic(rule: CareRule, start: date, end: date, today: date) -> list[CareTask]:
    """Every N months (calendar periods: every 3 months = Jan, Apr, Jul, Oct):
    one task per customer and period, due on the period's first day (today if
    the rule came in later)."""
    months = rule.every_months or 1
    periods = sorted({_period_start(today, months), _period_start(end, months)})
    tasks = []
    for period in periods:
        occasion = f"every{months}m:{period:%Y-%m}"
        due = max(period, today)
        for customer in _without_task(_customers(rule), rule, occasion).values(*_CUSTOMER_COLUMNS):
            tasks.append(_task(rule, customer=customer, occasion=occasion, due=due))
    return tasks


def _birthday_dates(start: date, end: date) -> dict[tuple[int, int], date]:
    """(month, day) → the date in the window; 29 February counts on the 28th
    in other years."""
    days = {}
    day = start
    while day <= end:
        days[(day.month, day.day)] = day
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            days[(2, 29)] = day
        day += timedelta(days=1)
    return days


def _birthdays(rule: CareRule, start: date, end: date) -> list[CareTask]:
    """A contact's birthday: one task per contact and year, for the owner of
    the contact's customer."""
    days = _birthday_dates(start, end)
    match = Q()
    for month, day in days:
        match |= Q(birthday__month=month, birthday__day=day)
    contacts = (
        Contact.objects.filter(
            is_active=True, birthday__isnull=False, customer__in=_customers(rule).values("pk")
        )
        .filter(match)
        .values(
            "id",
            "name",
            "birthday",
            "customer_id",
            "customer__owner_id",
            "customer__department_id",
            "customer__branch_id",
        )
    )
    wanted = []
    for contact in contacts:
        due = days[(contact["birthday"].month, contact["birthday"].day)]
        wanted.append((contact, f"birthday:{contact['id']}:{due.year}", due))
    if not wanted:
        return []
    existing = set(
        CareTask.objects.filter(
            rule=rule, occasion__in=[occasion for _c, occasion, _d in wanted]
        ).values_list("customer_id", "occasion")
    )
    return [
        _task(
            rule,
            customer={
                "id": contact["customer_id"],
                "owner_id": contact["customer__owner_id"],
                "department_id": contact["customer__department_id"],
                "branch_id": contact["customer__branch_id"],
            },
            occasion=occasion,
            due=due,
            contact=contact["id"],
            title=f"{rule.task_title} · {contact['name']}",
        )
        for contact, occasion, due in wanted
        if (contact["customer_id"], occasion) not in existing
    ]


def _holidays(rule: CareRule, start: date, end: date) -> list[CareTask]:
    """A holiday of the rule's list: one task per customer and date."""
    tasks = []
    for holiday in sorted(set(rule.holidays or ())):
        if not start <= holiday <= end:
            continue
        occasion = f"holiday:{holiday:%Y-%m-%d}"
        for customer in _without_task(_customers(rule), rule, occasion).values(*_CUSTOMER_COLUMNS):
            tasks.append(_task(rule, customer=customer, occasion=occasion, due=holiday))
    return tasks


def care_tasks_for_rule(rule: CareRule, *, today: date) -> list[CareTask]:
    """The tasks ``rule`` should have by ``today`` and does not (unsaved)."""
    start, end = today - timedelta(days=CATCH_UP_DAYS), today + timedelta(days=rule.lead_days)
    if rule.kind == CareRule.Kind.AFTER_DELIVERY:
        return _after_delivery(rule, start, end)
    if rule.kind == CareRule.Kind.PERIODIC:
        return _periodic(rule, start, end, today)
    if rule.kind == CareRule.Kind.BIRTHDAY:
        return _birthdays(rule, max(start, today), end)
    if rule.kind == CareRule.Kind.HOLIDAY:
        return _holidays(rule, start, end)
    return []


def care_tasks_generate(*, today: date | None = None, rules: Iterable[CareRule] | None = None):
    """Make the care to-dos due by the active rules; returns how many were
    made. Idempotent (see the module)."""
    today = today or timezone.localdate()
    made = 0
    for rule in rules if rules is not None else CareRule.objects.filter(is_active=True):
        tasks = care_tasks_for_rule(rule, today=today)
        with transaction.atomic():
            # A concurrent run may have made some meanwhile: the unique
            # constraint drops those (bulk inserts keep no history rows).
            CareTask.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
        made += len(tasks)
    return made


@transaction.atomic
def care_task_finish(*, task: CareTask | int, status: str, by, note: str = "") -> CareTask:
    """Mark a care to-do done or skipped (a skip needs a reason); kept with
    who and when."""
    if not by.has_perm("service.change_caretask"):
        raise PermissionDenied(NOT_ALLOWED)
    if status not in (CareTaskStatus.DONE, CareTaskStatus.SKIPPED):
        raise ValidationError(BAD_FINISH)
    locked = lock_object(CareTask.objects.all(), user=by, obj=task)
    if locked.status != CareTaskStatus.OPEN:
        raise ValidationError(ALREADY_FINISHED)
    note = (note or "").strip()
    if status == CareTaskStatus.SKIPPED and not note:
        raise ValidationError({"note": SKIP_REASON_REQUIRED})
    locked.status, locked.note = status, note
    locked.finished_by, locked.finished_at = by, timezone.now()
    locked._history_user = by
    locked.save(update_fields=["status", "note", "finished_by", "finished_at", "updated_at"])
    return locked

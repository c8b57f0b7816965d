"""Writes of customers, contacts, follow-ups and lifecycle.

Views, admin, imports and tasks call these; none of them saves a customer
record itself. Every write keeps the derived columns (normalised name,
blocking key, search document) in step, in the same transaction.
"""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import (
    Contact,
    ContactJobChange,
    Customer,
    FollowUp,
    LifecycleEvent,
    LifecycleStage,
)
from customers.normalize import company_name_key, normalize_company_name, normalize_phone
from customers.search import refresh_contact_search, refresh_customer_search

CANNOT_EDIT_ARCHIVED = _("An archived customer cannot be changed; restore it first.")
CONTACT_OF_OTHER_CUSTOMER = _("The contacts must belong to this customer.")
REPORTS_TO_ITSELF = _("A contact cannot report to themselves.")
REPORTS_TO_OTHER_CUSTOMER = _("A contact can only report to a contact of the same customer.")


def _derive_customer_fields(customer: Customer) -> None:
    customer.normalized_name = normalize_company_name(customer.name)
    customer.name_key = company_name_key(customer.normalized_name)
    customer.normalized_phone = normalize_phone(customer.phone)
    customer.credit_code = (customer.credit_code or "").strip().upper()


@transaction.atomic
def customer_create(*, by, owner=None, cause: str = "", **fields) -> Customer:
    """Create a customer owned by ``owner`` (default: the creator), with its
    first lifecycle event."""
    customer = Customer(**fields)
    customer.assign_owner(owner or by)
    _derive_customer_fields(customer)
    customer.full_clean()
    customer._history_user = by
    customer.save()
    LifecycleEvent.objects.create(
        customer=customer,
        from_stage="",
        to_stage=customer.lifecycle_stage,
        at=customer.created_at,
        by=by,
        cause=cause,
    )
    refresh_customer_search(customer_ids=[customer.pk])
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by, **fields) -> Customer:
    """Change a customer's fields (a lifecycle change goes through
    ``customer_change_stage``; the owner through the handover)."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.is_archived:
        raise ValidationError(CANNOT_EDIT_ARCHIVED)
    owner = fields.pop("owner", None)
    stage = fields.pop("lifecycle_stage", None)
    for name, value in fields.items():
        setattr(locked, name, value)
    if owner is not None and owner.pk != locked.owner_id:
        locked.assign_owner(owner)
    _derive_customer_fields(locked)
    locked.full_clean()
    locked._history_user = by
    locked.save()
    if owner is not None:
        Contact.objects.filter(customer=locked).update(
            owner=locked.owner, department=locked.department, branch=locked.branch
        )
    if stage is not None and stage != locked.lifecycle_stage:
        locked = customer_change_stage(customer=locked, stage=stage, by=by)
    refresh_customer_search(customer_ids=[locked.pk])
    return locked


@transaction.atomic
def customer_change_stage(
    *, customer: Customer, stage: str, by, cause: str = "", at: datetime | None = None
) -> Customer:
    """Move a customer to another lifecycle stage, recording the event (CUS-3)."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    stage = LifecycleStage(stage)
    if locked.lifecycle_stage == stage:
        return locked
    LifecycleEvent.objects.create(
        customer=locked,
        from_stage=locked.lifecycle_stage,
        to_stage=stage,
        at=at or timezone.now(),
        by=by,
        cause=cause,
    )
    locked.lifecycle_stage = stage
    locked._history_user = by
    locked._change_reason = cause
    locked.save(update_fields=["lifecycle_stage", "updated_at"])
    return locked


@transaction.atomic
def customer_archive(*, customer: Customer, by, reason: str = "") -> Customer:
    """Archive instead of delete: the customer and everything hanging on it stay."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.is_archived:
        return locked
    locked.is_archived = True
    locked.archived_at = timezone.now()
    locked._history_user = by
    locked._change_reason = reason
    locked.save(update_fields=["is_archived", "archived_at", "updated_at"])
    return locked


@transaction.atomic
def customer_restore(*, customer: Customer, by) -> Customer:
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    locked.is_archived = False
    locked.archived_at = None
    locked._history_user = by
    locked.save(update_fields=["is_archived", "archived_at", "updated_at"])
    return locked


def _check_reports_to(contact: Contact) -> None:
    if contact.reports_to_id is None:
        return
    if contact.pk and contact.reports_to_id == contact.pk:
        raise ValidationError({"reports_to": REPORTS_TO_ITSELF})
    if contact.reports_to.customer_id != contact.customer_id:
        raise ValidationError({"reports_to": REPORTS_TO_OTHER_CUSTOMER})


@transaction.atomic
def contact_create(*, by, customer: Customer, **fields) -> Contact:
    """A contact of ``customer``; it is seen by whoever sees the customer."""
    contact = Contact(customer=customer, **fields)
    contact.owner_id = customer.owner_id
    contact.department_id = customer.department_id
    contact.branch_id = customer.branch_id
    contact.normalized_mobile = normalize_phone(contact.mobile)
    _check_reports_to(contact)
    contact.full_clean()
    contact._history_user = by
    contact.save()
    refresh_contact_search(contact_ids=[contact.pk])
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, by, job_changed_on: date | None = None, **fields
) -> Contact:
    """Change a contact. A new title or department is kept as a job change
    (职务调动) dated ``job_changed_on`` (default today)."""
    locked = Contact.objects.select_for_update().get(pk=contact.pk)
    old_title, old_department = locked.title, locked.department_name
    fields.pop("customer", None)  # a contact does not move between customers
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.normalized_mobile = normalize_phone(locked.mobile)
    _check_reports_to(locked)
    locked.full_clean()
    locked._history_user = by
    locked.save()
    if (locked.title, locked.department_name) != (old_title, old_department):
        ContactJobChange.objects.create(
            contact=locked,
            old_title=old_title,
            new_title=locked.title,
            old_department=old_department,
            new_department=locked.department_name,
            changed_at=job_changed_on or timezone.localdate(),
            recorded_by=by,
        )
    refresh_contact_search(contact_ids=[locked.pk])
    return locked


@transaction.atomic
def follow_up_create(
    *, by, customer: Customer, contacts: list[Contact] | tuple = (), **fields
) -> FollowUp:
    """Log a call, visit, meeting … (CUS-6). Owned by the one who logs it."""
    if any(contact.customer_id != customer.pk for contact in contacts):
        raise ValidationError({"contacts": CONTACT_OF_OTHER_CUSTOMER})
    follow_up = FollowUp(customer=customer, **fields)
    follow_up.assign_owner(by)
    follow_up.full_clean()
    follow_up._history_user = by
    follow_up.save()
    if contacts:
        follow_up.contacts.set(contacts)
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).exclude(
            last_met_at__gt=follow_up.occurred_at
        ).update(last_met_at=follow_up.occurred_at)
    return follow_up


@transaction.atomic
def follow_up_complete_next_step(*, follow_up: FollowUp, by) -> FollowUp:
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    locked.next_step_done = True
    locked._history_user = by
    locked.save(update_fields=["next_step_done", "updated_at"])
    return locked

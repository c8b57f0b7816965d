"""Writes of customers. Views, admin, imports and tasks call these."""

from __future__ import annotations

from django.db import transaction

from customers.models import Customer


@transaction.atomic
def customer_create(*, by, owner=None, **fields) -> Customer:
    """Create a customer owned by ``owner`` (default: the creator)."""
    customer = Customer(**fields)
    customer.assign_owner(owner or by)
    customer.full_clean()
    customer._history_user = by
    customer.save()
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by, **fields) -> Customer:
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    owner = fields.pop("owner", None)
    for name, value in fields.items():
        setattr(locked, name, value)
    if owner is not None and owner.pk != locked.owner_id:
        locked.assign_owner(owner)
    locked.full_clean()
    locked._history_user = by
    locked.save()
    return locked

"""Handover (工作交接, ORG-4): move everything one user owns to another user.

Every scoped model takes part without registering: its records owned by the
leaving user move, with department and branch following the new owner. A
model narrows what moves by defining ``handover_queryset(queryset)`` as a
classmethod (e.g. only open tasks). Customers belong to the company, not to
the rep: nothing is lost, and every moved record gets a history entry.

What a user holds without owning it -- to-dos assigned to them, approval
steps they claimed or may decide -- moves through ``handover_steps``: each
app registers a :class:`HandoverStep` from its ``AppConfig.ready``; its
``perform`` runs in the handover's transaction and keeps its own history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from crm.attachments.services import attachments_sync_scope
from crm.models import Employee, Handover, ScopedModel
from crm.scope import user_scope

HANDOVER_TO_SELF = _("Choose two different employees.")
HANDOVER_TO_INACTIVE = _("Records can only be handed over to an active employee.")
HANDOVER_OUTSIDE_SCOPE = _("You can only hand over between employees within your data scope.")
BATCH = 2000


@dataclass(frozen=True)
class HandoverStep:
    """Something else a leaving user holds (``key`` names it in the
    handover's summary, ``label`` on the preview): ``count(from_user)`` says how
    much, ``perform(from_user=, to_user=, by=, reason=)`` moves it and says
    how much moved."""

    key: str
    label: str
    count: Callable[..., int]
    perform: Callable[..., int]


#: What later apps move on a handover besides owned records.
handover_steps: list[HandoverStep] = []


def register_handover_step(step: HandoverStep) -> HandoverStep:
    if all(known.key != step.key for known in handover_steps):
        handover_steps.append(step)
    return step


def handover_models() -> list[type[ScopedModel]]:
    return [m for m in apps.get_models() if issubclass(m, ScopedModel)]


def _records(model, from_user):
    queryset = model._default_manager.filter(owner=from_user)
    narrow = getattr(model, "handover_queryset", None)
    return narrow(queryset) if narrow else queryset


def employees_in_scope(user):
    """The employees ``user`` may hand over between (their data scope),
    including those who have left."""
    scope = user_scope(user)
    employees = Employee.objects.select_related("user", "department")
    if scope.sees_all:
        return employees
    if scope.level == "branch":
        return employees.filter(department__branch_id=scope.branch_id)
    if scope.level == "department":
        return employees.filter(department_id__in=scope.department_ids)
    return employees.none()


def handover_preview(*, from_user) -> list[tuple[str, int]]:
    """What would move: (records, count) per model, one COUNT each."""
    return [
        (str(model._meta.verbose_name_plural), _records(model, from_user).count())
        for model in handover_models()
    ] + [(str(step.label), step.count(from_user)) for step in handover_steps]


@transaction.atomic
def handover_perform(*, from_user, to_user, by, reason: str = "") -> Handover:
    """Move every record ``from_user`` owns to ``to_user`` in one transaction."""
    if from_user.pk == to_user.pk:
        raise ValidationError(HANDOVER_TO_SELF)
    in_scope = dict(
        employees_in_scope(by)
        .filter(user_id__in=[from_user.pk, to_user.pk])
        .values_list("user_id", "is_active")
    )
    if from_user.pk not in in_scope or to_user.pk not in in_scope:
        raise ValidationError(HANDOVER_OUTSIDE_SCOPE)
    if not in_scope[to_user.pk] or not to_user.is_active:
        raise ValidationError(HANDOVER_TO_INACTIVE)
    department = Employee.objects.select_related("department").get(user=to_user).department
    summary: dict[str, int] = {}
    for model in handover_models():
        records = list(_records(model, from_user).select_for_update().order_by("pk"))
        for record in records:
            record.owner = to_user
            record.department = department
            record.branch_id = department.branch_id
        if records:
            bulk_update_with_history(
                records,
                model,
                ["owner", "department", "branch"],
                batch_size=BATCH,
                default_user=by,
                default_change_reason=reason or str(_("Handover")),
            )
            # The attachments' copy of the records' scope, for their search.
            attachments_sync_scope(model=model, ids=[record.pk for record in records])
        summary[model._meta.label] = len(records)
    for step in handover_steps:
        summary[step.key] = step.perform(
            from_user=from_user, to_user=to_user, by=by, reason=reason
        )
    return Handover.objects.create(
        from_user=from_user, to_user=to_user, by=by, reason=reason, summary=summary
    )

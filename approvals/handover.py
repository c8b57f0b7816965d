"""On a handover (ORG-4) the workflow steps the leaving user holds go to the
colleague: steps they claimed, and open steps of a shared queue that name
them. A step whose document the colleague submitted is never theirs to
decide: it goes back to the queue's other people. Each moved step keeps a
note of the handover in its ``data``. Registered from ``ApprovalsConfig.ready``."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from crm.handover import HandoverStep, register_handover_step

#: The keys of ``task.data`` that list who may act on an open step.
PEOPLE_KEYS = ("approvers", "assignees")


def _held_by(user):
    named = Q()
    for key in PEOPLE_KEYS:
        named |= Q(**{f"data__{key}__contains": [user.pk]})
    return Task.objects.filter(
        Q(status=STATUS.ASSIGNED, owner=user) | (Q(status=STATUS.NEW, owner__isnull=True) & named),
        process__finished__isnull=True,
    )


def tasks_hand_over(*, from_user, to_user, by, reason: str = "") -> int:
    tasks = list(_held_by(from_user).select_for_update(of=("self",)).select_related("process"))
    now = timezone.now().isoformat()
    for task in tasks:
        data = dict(task.data or {})
        submitter = (task.process.data or {}).get("submitted_by")
        for key in PEOPLE_KEYS:
            if key in data:
                people = [pk for pk in data[key] if pk != from_user.pk]
                if to_user.pk != submitter and to_user.pk not in people:
                    people.append(to_user.pk)
                data[key] = people
        data["handovers"] = [
            *data.get("handovers", []),
            {"from": from_user.pk, "to": to_user.pk, "by": by.pk, "at": now, "reason": reason},
        ]
        fields = ["data"]
        if task.owner_id == from_user.pk:
            if to_user.pk == submitter:
                task.owner, task.status = None, STATUS.NEW  # back to the queue
            else:
                task.owner = to_user
            fields += ["owner", "status"]
        task.data = data
        task.save(update_fields=fields)
    return len(tasks)


def register() -> None:
    register_handover_step(
        HandoverStep(
            key="approvals.Task",
            label=_("workflow steps waiting"),
            count=lambda user: _held_by(user).count(),
            perform=tasks_hand_over,
        )
    )

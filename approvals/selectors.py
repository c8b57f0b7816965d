"""Reads of workflow tasks shared by every document's flow: the steps of a
document, the inbox and queue of a user, and one task the user may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from approvals.registry import flow_for

OPEN = [STATUS.NEW, STATUS.ASSIGNED]


def flow_tasks(model: type[models.Model]) -> QuerySet[Task]:
    """Every task of the flow that runs for ``model``."""
    return Task.objects.filter(process__flow_class=flow_for(model))


def document_tasks(model: type[models.Model], pk: int) -> QuerySet[Task]:
    return flow_tasks(model).filter(process__artifact_object_id=pk)


def open_task(model: type[models.Model], pk: int) -> Task | None:
    """The step the document waits for, if any."""
    return (
        document_tasks(model, pk)
        .filter(process__finished__isnull=True, flow_task_type="HUMAN", status__in=OPEN)
        .select_related("owner", "process")
        .order_by("-created")
        .first()
    )


def document_steps(model: type[models.Model], pk: int) -> list[Task]:
    """Every step of every run of the document's flow, oldest first: its history."""
    return list(
        document_tasks(model, pk)
        .filter(flow_task_type__in=["HUMAN", "START"])
        .select_related("owner")
        .order_by("created", "id")
    )


def waiting_for(tasks: QuerySet[Task], user, *, key: str = "approvers") -> QuerySet[Task]:
    """Steps assigned to the user, and open steps whose ``task.data[key]``
    names the user (a shared queue: any of them may take it)."""
    return tasks.filter(
        Q(owner=user, status=STATUS.ASSIGNED)
        | Q(owner__isnull=True, status=STATUS.NEW, **{f"data__{key}__contains": [user.pk]})
    ).order_by("created", "id")


def shared_with(tasks: QuerySet[Task], user, *, key: str = "approvers") -> QuerySet[Task]:
    """Open steps shared by several people, the user among them."""
    return tasks.filter(
        owner__isnull=True, status=STATUS.NEW, **{f"data__{key}__contains": [user.pk]}
    ).order_by("created", "id")


def decided_or_started_by(tasks: QuerySet[Task], user) -> QuerySet[Task]:
    """Steps the user decided, and the runs the user started."""
    return (
        tasks.filter(owner=user, finished__isnull=False)
        .filter(flow_task_type__in=["HUMAN", "START"])
        .order_by("-finished", "-id")
    )


def started_by(tasks: QuerySet[Task], user) -> QuerySet[Task]:
    """The open steps of the runs the user started (their start task is theirs)."""
    started = Task.objects.filter(owner=user, flow_task_type="START").values("process_id")
    return tasks.filter(process_id__in=started, flow_task_type="HUMAN", status__in=OPEN).order_by(
        "-created", "-id"
    )


def access_task(*, model: type[models.Model], user, process_pk: int, task_pk: int) -> Task:
    """A step of ``model``'s flow the user may see: the document is in their
    scope, or the step is theirs or open to them. 404 otherwise."""
    flow_class = flow_for(model)
    task = (
        Task.objects.filter(pk=task_pk, process_id=process_pk, process__flow_class=flow_class)
        .select_related("process", "owner")
        .first()
    )
    if task is None or not flow_class.instance.has_view_permission(user, task.process.coerced):
        raise Http404("No such step.")
    return task


def chain_with_names(chain: list[dict]) -> list[dict]:
    """A stored chain with each step's approvers' names (one query)."""
    ids = {pk for step in chain for pk in step.get("approvers", [])}
    users = {
        user.pk: user.get_full_name() or user.get_username()
        for user in get_user_model().objects.filter(pk__in=ids)
    }
    return [
        {**step, "approver_names": [users[pk] for pk in step.get("approvers", []) if pk in users]}
        for step in chain
    ]

"""Reads of orders, contracts and their workflow tasks, always within the
user's scope (404 outside it) or through a task that names the user."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from crm.scope import access_object
from projects.models import (
    Delivery,
    DeliveryLine,
    SalesOrder,
    SalesOrderLine,
)

ORDER_RELATED = ("customer", "opportunity", "quote", "owner", "department")


def orders_visible_to(user) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.visible_to(user).select_related("customer", "owner")


def access_order(*, user, pk) -> SalesOrder:
    return access_object(SalesOrder.objects.select_related(*ORDER_RELATED), user=user, pk=pk)


def order_lines(order: SalesOrder) -> list[SalesOrderLine]:
    return list(order.lines.select_related("product").order_by("position", "id"))


def order_deliveries(order: SalesOrder) -> list[Delivery]:
    return list(
        order.deliveries.select_related("by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DeliveryLine.objects.select_related("order_line__product").order_by(
                    "order_line__position", "id"
                ),
            )
        )
        .order_by("delivered_on", "id")
    )


def order_collections(order: SalesOrder):
    return list(order.collections.select_related("by").order_by("received_on", "id"))


def _artifact_tasks(flow_class, pk: int) -> QuerySet[Task]:
    return Task.objects.filter(process__flow_class=flow_class, process__artifact_object_id=pk)


def open_order_task(order: SalesOrder) -> Task | None:
    """The step the order waits for, if any."""
    from projects.orders.flows import SalesOrderFlow

    return (
        _artifact_tasks(SalesOrderFlow, order.pk)
        .filter(
            process__finished__isnull=True,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .select_related("owner", "process")
        .order_by("-created")
        .first()
    )


def order_steps(order: SalesOrder) -> list[Task]:
    """Every step of every run of the order's flow, oldest first: its history."""
    from projects.orders.flows import SalesOrderFlow

    return list(
        _artifact_tasks(SalesOrderFlow, order.pk)
        .filter(flow_task_type__in=["HUMAN", "START"])
        .select_related("owner")
        .order_by("created", "id")
    )


def access_order_task(*, user, process_pk: int, task_pk: int) -> Task:
    """An order step the user may see: its order is in scope, or the user
    owns it or may act on it. 404 otherwise."""
    from projects.orders.flows import SalesOrderFlow

    task = (
        Task.objects.filter(pk=task_pk, process_id=process_pk, process__flow_class=SalesOrderFlow)
        .select_related("process", "owner")
        .first()
    )
    if task is None or not SalesOrderFlow.instance.has_view_permission(user, task.process.coerced):
        raise Http404("No such order step.")
    return task


def order_for_task(task: Task) -> SalesOrder:
    """The order of a step ``access_order_task`` already authorised."""
    return SalesOrder.objects.select_related(*ORDER_RELATED).get(pk=task.process.artifact_object_id)


def _with_order(tasks: QuerySet[Task]) -> QuerySet[Task]:
    order = SalesOrder.objects.filter(pk=OuterRef("process__artifact_object_id"))
    return tasks.select_related("process", "owner").annotate(
        doc_number=Subquery(order.values("number")[:1]),
        doc_total=Subquery(order.values("total")[:1]),
        doc_status=Subquery(order.values("status")[:1]),
        customer_name=Subquery(order.values("customer__name")[:1]),
    )


def _mine(tasks: QuerySet[Task], user, key: str) -> QuerySet[Task]:
    return tasks.filter(
        Q(owner=user, status=STATUS.ASSIGNED)
        | Q(owner__isnull=True, status=STATUS.NEW, **{f"data__{key}__contains": [user.pk]})
    ).order_by("created", "id")


def order_inbox_tasks(user) -> QuerySet[Task]:
    """Order steps assigned to the user or open to them."""
    from projects.orders.flows import SalesOrderFlow

    return _mine(
        _with_order(Task.objects.filter(process__flow_class=SalesOrderFlow)), user, "assignees"
    )


def _started_by(tasks: QuerySet[Task], user) -> QuerySet[Task]:
    """The open steps of the runs the user started (their start task is theirs)."""
    started = Task.objects.filter(owner=user, flow_task_type="START").values("process_id")
    return tasks.filter(
        process_id__in=started,
        flow_task_type="HUMAN",
        status__in=[STATUS.NEW, STATUS.ASSIGNED],
    ).order_by("-created", "-id")


def started_order_steps(user) -> QuerySet[Task]:
    """Where the orders the user submitted stand: their open steps."""
    from projects.orders.flows import SalesOrderFlow

    return _started_by(_with_order(Task.objects.filter(process__flow_class=SalesOrderFlow)), user)

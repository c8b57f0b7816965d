"""Reads of orders, contracts and their workflow tasks, always within the
user's scope (404 outside it) or through a task that names the user."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from viewflow.workflow.models import Task

from approvals import selectors as approvals
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


def open_order_task(order: SalesOrder) -> Task | None:
    """The step the order waits for, if any."""
    return approvals.open_task(SalesOrder, order.pk)


def order_steps(order: SalesOrder) -> list[Task]:
    """Every step of every run of the order's flow, oldest first: its history."""
    return approvals.document_steps(SalesOrder, order.pk)


def access_order_task(*, user, process_pk: int, task_pk: int) -> Task:
    """An order step the user may see: its order is in scope, or the user
    owns it or may act on it. 404 otherwise."""
    return approvals.access_task(
        model=SalesOrder, user=user, process_pk=process_pk, task_pk=task_pk
    )


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


def order_inbox_tasks(user) -> QuerySet[Task]:
    """Order steps assigned to the user or open to them."""
    return approvals.waiting_for(
        _with_order(approvals.flow_tasks(SalesOrder)), user, key="assignees"
    )


def started_order_steps(user) -> QuerySet[Task]:
    """Where the orders the user submitted stand: their open steps."""
    return approvals.started_by(_with_order(approvals.flow_tasks(SalesOrder)), user)

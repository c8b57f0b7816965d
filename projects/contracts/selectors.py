"""Reads of orders, contracts and their workflow tasks, always within the
user's scope (404 outside it) or through a task that names the user."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from viewflow.workflow.models import Task

from approvals import selectors as approvals
from crm.scope import access_object
from projects.models import (
    Contract,
)

CONTRACT_RELATED = ("customer", "opportunity", "quote", "owner", "department")


def _with_contract(tasks: QuerySet[Task]) -> QuerySet[Task]:
    contract = Contract.objects.filter(pk=OuterRef("process__artifact_object_id"))
    return tasks.select_related("process", "owner").annotate(
        doc_number=Subquery(contract.values("number")[:1]),
        doc_total=Subquery(contract.values("amount")[:1]),
        doc_status=Subquery(contract.values("status")[:1]),
        customer_name=Subquery(contract.values("customer__name")[:1]),
    )


def contract_inbox_tasks(user) -> QuerySet[Task]:
    """Contract approval steps assigned to the user or open to them."""
    return approvals.waiting_for(_with_contract(approvals.flow_tasks(Contract)), user)


def started_contract_steps(user) -> QuerySet[Task]:
    """Where the contracts the user submitted stand: their open approval steps."""
    return approvals.started_by(_with_contract(approvals.flow_tasks(Contract)), user)


def contracts_visible_to(user) -> QuerySet[Contract]:
    return Contract.objects.visible_to(user).select_related("customer", "owner")


def access_contract(*, user, pk) -> Contract:
    return access_object(Contract.objects.select_related(*CONTRACT_RELATED), user=user, pk=pk)


def contract_plan(contract: Contract) -> dict:
    return {
        "milestones": list(contract.milestones.order_by("due_on", "id")),
        "instalments": list(
            contract.instalments.select_related("dunning_todo").order_by("sequence")
        ),
        "records": list(
            contract.execution_records.select_related("by", "milestone").order_by("done_on", "id")
        ),
    }


def open_contract_task(contract: Contract) -> Task | None:
    return approvals.open_task(Contract, contract.pk)


def contract_steps(contract: Contract) -> list[Task]:
    return approvals.document_steps(Contract, contract.pk)


def access_contract_task(*, user, process_pk: int, task_pk: int) -> Task:
    return approvals.access_task(model=Contract, user=user, process_pk=process_pk, task_pk=task_pk)


def contract_for_task(task: Task) -> Contract:
    return Contract.objects.select_related(*CONTRACT_RELATED).get(
        pk=task.process.artifact_object_id
    )

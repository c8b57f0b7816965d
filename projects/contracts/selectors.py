"""Reads of orders, contracts and their workflow tasks, always within the
user's scope (404 outside it) or through a task that names the user."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from crm.scope import access_object
from projects.models import (
    Contract,
)
from projects.orders.selectors import _artifact_tasks, _mine, _started_by

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
    from projects.contracts.flows import ContractApprovalFlow

    return _mine(
        _with_contract(Task.objects.filter(process__flow_class=ContractApprovalFlow)),
        user,
        "approvers",
    )


def started_contract_steps(user) -> QuerySet[Task]:
    """Where the contracts the user submitted stand: their open approval steps."""
    from projects.contracts.flows import ContractApprovalFlow

    return _started_by(
        _with_contract(Task.objects.filter(process__flow_class=ContractApprovalFlow)), user
    )


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
    from projects.contracts.flows import ContractApprovalFlow

    return (
        _artifact_tasks(ContractApprovalFlow, contract.pk)
        .filter(
            process__finished__isnull=True,
            flow_task_type="HUMAN",
            status__in=[STATUS.NEW, STATUS.ASSIGNED],
        )
        .select_related("owner", "process")
        .order_by("-created")
        .first()
    )


def contract_steps(contract: Contract) -> list[Task]:
    from projects.contracts.flows import ContractApprovalFlow

    return list(
        _artifact_tasks(ContractApprovalFlow, contract.pk)
        .filter(flow_task_type__in=["HUMAN", "START"])
        .select_related("owner")
        .order_by("created", "id")
    )


def access_contract_task(*, user, process_pk: int, task_pk: int) -> Task:
    from projects.contracts.flows import ContractApprovalFlow

    task = (
        Task.objects.filter(
            pk=task_pk, process_id=process_pk, process__flow_class=ContractApprovalFlow
        )
        .select_related("process", "owner")
        .first()
    )
    if task is None or not ContractApprovalFlow.instance.has_view_permission(
        user, task.process.coerced
    ):
        raise Http404("No such contract approval step.")
    return task


def contract_for_task(task: Task) -> Contract:
    return Contract.objects.select_related(*CONTRACT_RELATED).get(
        pk=task.process.artifact_object_id
    )
